import NIOCore

/// The user event `HTTPBytesReceivedObserver` sends down the pipeline when request bytes arrive.
struct HTTPBytesReceived: Sendable {}

/// Sits in front of the HTTP decoder and announces every read, so the connection handler can tell a
/// kept-alive connection that idles from one that has started (slowly) sending its next head.
/// Explicitly not `Sendable`: it lives on its channel's event loop.
final class HTTPBytesReceivedObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(HTTPBytesReceived())
        context.fireChannelRead(data)
    }
}
