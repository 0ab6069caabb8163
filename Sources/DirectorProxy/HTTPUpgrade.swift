import NIOCore
import NIOHTTP1
import ShoalServer

/// HTTP/1.1 protocol upgrade through the content switch (RFC 9110 §7.8): which requests ask for one, and
/// switching a client/server pair from HTTP to a byte splice once the server has answered 101.
enum HTTPUpgrade {
    /// The protocols an HTTP/1.1 request asks to upgrade to (`Upgrade`, named in `Connection`), else nil.
    static func requestedProtocols(_ head: HTTPRequestHead) -> [String]? {
        guard head.version.major == 1, head.version.minor >= 1 else { return nil }
        let upgrade = head.headers["upgrade"]
        guard !upgrade.isEmpty, connectionTokens(head.headers).contains("upgrade") else { return nil }
        return upgrade
    }

    /// True when NIO's request decoder stops parsing after this request (llhttp's upgrade rule: `Upgrade`
    /// with `Connection: upgrade` in any version, or CONNECT): the connection can carry no further request.
    static func endsHTTP(_ head: HTTPRequestHead) -> Bool {
        head.method == .CONNECT
            || (!head.headers["upgrade"].isEmpty && connectionTokens(head.headers).contains("upgrade"))
    }

    /// Puts the upgrade back on a head whose hop-by-hop headers were stripped.
    static func restore(_ protocols: [String], in headers: inout HTTPHeaders) {
        for value in protocols { headers.add(name: "Upgrade", value: value) }
        headers.replaceOrAdd(name: "Connection", value: "Upgrade")
    }

    static func connectionTokens(_ headers: HTTPHeaders) -> Set<String> {
        var tokens = Set<String>()
        for value in headers["connection"] {
            for token in value.split(separator: ",") {
                tokens.insert(String(Substring(token).trimmingWhitespace()).lowercased())
            }
        }
        return tokens
    }

    /// Replaces the HTTP handlers of both pipelines with a byte splice. Call on their (common) event
    /// loop after the 101 and its end were written to the client; bytes either side had read past the
    /// HTTP messages are passed on. `onRead(fromClient, count)` counts traffic.
    static func splice(client: any Channel, server: any Channel,
                       onRead: @escaping (_ fromClient: Bool, _ count: Int) -> Void) throws {
        let clientPipeline = client.pipeline.syncOperations
        let serverPipeline = server.pipeline.syncOperations
        // Outbound HTTP handlers go first, so that raw bytes written by the glues never meet them.
        remove(HTTPResponseEncoder.self, from: clientPipeline)
        remove(NIOHTTPResponseHeadersValidator.self, from: clientPipeline)
        remove(HTTPServerPipelineHandler.self, from: clientPipeline)
        remove(HTTPServerProtocolErrorHandler.self, from: clientPipeline)
        remove(HTTPRequestEncoder.self, from: serverPipeline)
        remove(NIOHTTPRequestHeadersValidator.self, from: serverPipeline)
        remove(HTTPBackendHandler.self, from: serverPipeline)

        let clientGlue = TCPProxyGlue { onRead(true, $0) }
        let serverGlue = TCPProxyGlue { onRead(false, $0) }
        TCPProxyGlue.pair(clientGlue, serverGlue)
        let requestDecoder = try clientPipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let responseDecoder = try serverPipeline.context(handlerType: ByteToMessageHandler<HTTPResponseDecoder>.self)
        try clientPipeline.addHandler(clientGlue, position: .after(requestDecoder.handler))
        try serverPipeline.addHandler(serverGlue, position: .after(responseDecoder.handler))
        remove(HTTPSwitchingHandler.self, from: clientPipeline)
        // The decoders hand on what they had read beyond the last HTTP message, as the new protocol's
        // bytes (a read with no read-complete after it: flush once both are out of the way).
        let serverDecoderGone = client.eventLoop.makePromise(of: Void.self)
        let clientDecoderGone = client.eventLoop.makePromise(of: Void.self)
        serverPipeline.removeHandler(context: responseDecoder, promise: serverDecoderGone)
        clientPipeline.removeHandler(context: requestDecoder, promise: clientDecoderGone)
        serverDecoderGone.futureResult.and(clientDecoderGone.futureResult).assumeIsolated().whenComplete { _ in
            client.flush()
            server.flush()
            client.read()
            server.read()
        }
    }

    private static func remove<H: RemovableChannelHandler>(_ type: H.Type, from pipeline: ChannelPipeline.SynchronousOperations) {
        guard let context = try? pipeline.context(handlerType: type) else { return }
        pipeline.removeHandler(context: context, promise: nil)
    }
}
