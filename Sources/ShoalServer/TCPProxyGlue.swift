public import NIOCore

/// One side of a spliced client/server pair: bytes read here are written to the partner; reads pause
/// while the partner cannot write (backpressure), and a half-close is passed on as a half-close. Used by the
/// director's proxies and the cache node's CONNECT tunnels.
public final class TCPProxyGlue: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Called with the number of bytes read on this side (to count traffic).
    private let onRead: (Int) -> Void
    private var partner: TCPProxyGlue?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inputClosed = false
    private var outputClosed = false

    public init(onRead: @escaping (Int) -> Void) { self.onRead = onRead }

    /// Joins two glues; call on their common event loop.
    public static func pair(_ a: TCPProxyGlue, _ b: TCPProxyGlue) {
        a.partner = b
        b.partner = a
    }

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    // MARK: From this side

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        onRead(buffer.readableBytes)
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
        if outputClosed { afterPendingWrites(context) { $0.close(promise: nil) } }
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

    /// The partner's peer half-closed: once everything it sent is written here, half-close this side.
    private func partnerCloseOutput() {
        guard let context, !outputClosed else { return }
        outputClosed = true
        afterPendingWrites(context) { context in
            if self.inputClosed {
                context.close(promise: nil)
            } else {
                context.close(mode: .output, promise: nil)
            }
        }
    }

    /// The partner is gone: write out what it sent, then close.
    private func partnerClose() {
        guard let context else { return }
        afterPendingWrites(context) { $0.close(promise: nil) }
    }

    /// Runs `body` once every write queued so far has reached the socket (an empty write completes in order).
    private func afterPendingWrites(_ context: ChannelHandlerContext, _ body: @escaping (ChannelHandlerContext) -> Void) {
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: done)
        let bound = NIOLoopBound((context, body), eventLoop: context.eventLoop)
        done.futureResult.whenComplete { _ in
            let (context, body) = bound.value
            body(context)
        }
    }
}
