public import NIOCore

/// Writes a PROXY protocol header as the first bytes of an outgoing connection, before anything else
/// the pipeline writes; place it first (nearest the socket) in the pipeline.
public final class ProxyProtocolSender: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    public typealias OutboundOut = ByteBuffer

    private let bytes: ByteBuffer

    public init(_ header: ProxyProtocolHeader, version: ProxyProtocolVersion) {
        self.bytes = header.encoded(version)
    }

    private var sent = false

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            send(context: context)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    public func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }
}

@available(*, unavailable)
extension ProxyProtocolSender: Sendable {}
