public import NIOCore

/// A pipeline's idle timeout on the shared ``IdleTimer``: reads and writes count as activity; after
/// `timeout` without either it fires ``IdleTimeoutHandler/Event`` down the pipeline (a protocol handler
/// decides how to end the connection), or closes the channel when nothing handles it.
///
/// Unlike NIO's `IdleStateHandler` it reads the event loop's own clock, so tests move time with
/// `EmbeddedEventLoop.advanceTime`.
public final class IdleTimeoutHandler: ChannelDuplexHandler {
    public typealias InboundIn = NIOAny
    public typealias InboundOut = NIOAny
    public typealias OutboundIn = NIOAny
    public typealias OutboundOut = NIOAny

    /// Fired when the connection was idle for the timeout.
    public struct Event: Hashable, Sendable {}

    private let timeout: TimeAmount
    private var timer: IdleTimer?

    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        timer?.touch()
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        timer?.touch()
        context.write(data, promise: promise)
    }

    private func start(context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let timer = IdleTimer(eventLoop: context.eventLoop) {
            bound.value.fireUserInboundEventTriggered(Event())
        }
        self.timer = timer
        timer.arm(timeout: timeout)
    }
}

@available(*, unavailable)
extension IdleTimeoutHandler: Sendable {}
