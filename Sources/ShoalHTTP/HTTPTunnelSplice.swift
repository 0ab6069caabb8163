import NIOCore
import NIOHTTP1
import ShoalServer

/// Turns an HTTP connection that answered CONNECT with 2xx into a byte splice: the HTTP handlers leave the
/// pipeline (outbound ones first, so no raw byte meets them), the head is written as raw bytes (no
/// `Content-Length` or `Transfer-Encoding`, RFC 9110 §9.3.6), and `TCPProxyGlue` joins the two connections
/// with an idle timeout on the client side.
enum HTTPTunnelSplice {
    /// Call on the client connection's event loop, which is also the tunnel's.
    static func open(_ tunnel: HTTPTunnel, status: HTTPResponseStatus, headers: HTTPHeaders, version: HTTPVersion,
                     handler: HTTPConnectionHandler, context: ChannelHandlerContext) {
        handler.handOver()
        let client = context.channel
        let upstream = tunnel.channel
        let pipeline = client.pipeline.syncOperations
        do {
            remove(HTTPResponseEncoder.self, from: pipeline)
            remove(NIOHTTPResponseHeadersValidator.self, from: pipeline)
            remove(HTTPServerPipelineHandler.self, from: pipeline)
            remove(ByteToMessageHandler<HTTPRequestDecoder>.self, from: pipeline)
            remove(HTTPBytesReceivedObserver.self, from: pipeline)
            var head = client.allocator.buffer(capacity: 256)
            head.writeString("HTTP/\(version.major).\(version.minor) \(status.code) \(status.reasonPhrase)\r\n")
            for (name, value) in headers where !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
                head.writeString("\(name): \(value)\r\n")
            }
            head.writeString("\r\n")
            context.writeAndFlush(NIOAny(head), promise: nil)
            let clientGlue = TCPProxyGlue { _ in }
            let upstreamGlue = TCPProxyGlue { _ in }
            TCPProxyGlue.pair(clientGlue, upstreamGlue)
            try upstream.pipeline.syncOperations.addHandler(upstreamGlue)
            try pipeline.addHandler(IdleTimeoutHandler(timeout: tunnel.idleTimeout))
            try pipeline.addHandler(clientGlue)
            try pipeline.addHandler(TunnelIdleCloser(partner: upstream))
            pipeline.removeHandler(context: context, promise: nil)
            client.read()
            upstream.read()
        } catch {
            upstream.close(promise: nil)
            client.close(promise: nil)
        }
    }

    private static func remove<H: RemovableChannelHandler>(_ type: H.Type, from pipeline: ChannelPipeline.SynchronousOperations) {
        guard let context = try? pipeline.context(handlerType: type) else { return }
        pipeline.removeHandler(context: context, promise: nil)
    }
}

/// Closes both ends of a tunnel when the client side was idle too long (`IdleTimeoutHandler.Event`) or the
/// server drains (`ChannelShouldQuiesceEvent`: a tunnel has no request boundary to stop at).
final class TunnelIdleCloser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let partner: any Channel

    init(partner: any Channel) { self.partner = partner }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleTimeoutHandler.Event || event is ChannelShouldQuiesceEvent {
            partner.close(promise: nil)
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
