public import NIOCore

/// One side of a spliced client/server pair: bytes read here are written to the partner; reads pause
/// while the partner cannot write (backpressure), and a half-close is passed on as a half-close. Used by the
/// director's proxies and the cache node's CONNECT tunnels.
///
/// Either a handler of its own (the server side, both sides of `ProxySplice`, `HTTPUpgrade` and `HTTPTunnelSplice`) or
/// embedded in the handler that was already there (`TCPProxyFrontend` drives its client side through
/// `attach` and the event methods once spliced, so a proxied connection changes no pipeline on the client).
public final class TCPProxyGlue: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Where the bytes read on this side are counted.
    private enum Counter {
        case closure((Int) -> Void)
        case meter(any TCPProxyTrafficMeter, fromClient: Bool)
    }

    private let counter: Counter
    private var partner: TCPProxyGlue?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inputClosed = false
    private var outputClosed = false

    /// Calls `onRead` with the number of bytes read on this side (to count traffic).
    public init(onRead: @escaping (Int) -> Void) { counter = .closure(onRead) }

    /// Counts the bytes read on this side in `meter` (as from the client, or from the server).
    public init(meter: any TCPProxyTrafficMeter, fromClient: Bool) { counter = .meter(meter, fromClient: fromClient) }

    /// Joins two glues; call on their common event loop.
    public static func pair(_ a: TCPProxyGlue, _ b: TCPProxyGlue) {
        a.partner = b
        b.partner = a
    }

    /// Works on `context` from now on (a handler's own context, or that of the handler embedding it).
    public func attach(_ context: ChannelHandlerContext) { self.context = context }

    public func handlerAdded(context: ChannelHandlerContext) { attach(context) }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    // MARK: From this side

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch counter {
        case let .meter(meter, fromClient):
            if fromClient { meter.inbound(buffer.readableBytes) } else { meter.outbound(buffer.readableBytes) }
        case let .closure(onRead):
            onRead(buffer.readableBytes)
        }
        partner?.partnerWrite(buffer)
    }

    public func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }

    public func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClose()
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            inputWasClosed()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// This side's peer half-closed (now, or before the glue was installed): half-close the partner.
    public func inputWasClosed() {
        guard !inputClosed, let context else { return }
        inputClosed = true
        partner?.partnerCloseOutput()
        if outputClosed { closeAfterPendingWrites(context) }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    public func read(context: ChannelHandlerContext) {
        if let partner, partner.isWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }

    // MARK: From the partner

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerWrite(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func partnerFlush() { context?.flush() }

    private func partnerBecameWritable() {
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    /// The partner's peer half-closed: once everything it sent is written here, half-close this side (NIO
    /// shuts the socket's output down only after the writes queued before it).
    private func partnerCloseOutput() {
        guard let context, !outputClosed else { return }
        outputClosed = true
        if inputClosed {
            closeAfterPendingWrites(context)
        } else {
            context.flush()
            context.close(mode: .output, promise: nil)
        }
    }

    /// The partner is gone: write out what it sent, then close.
    private func partnerClose() {
        guard let context else { return }
        closeAfterPendingWrites(context)
    }

    /// Closes once every write queued so far has reached the socket: at once when none is left after a
    /// flush (the usual case), else after an empty write queued behind them completes (writes complete in order).
    private func closeAfterPendingWrites(_ context: ChannelHandlerContext) {
        context.flush()
        if let buffered = try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes), buffered == 0 {
            context.close(promise: nil)
            return
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: done)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        done.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }
}

/// Where a glue counts the bytes read on its side without a closure per connection (the director's meter).
public protocol TCPProxyTrafficMeter: AnyObject {
    /// Bytes read from the client.
    func inbound(_ count: Int)
    /// Bytes read from the server.
    func outbound(_ count: Int)
}
