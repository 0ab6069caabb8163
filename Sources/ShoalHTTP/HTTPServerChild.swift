public import Logging
public import NIOCore
public import ShoalCore
public import ShoalServer

/// HTTP/1.1 for one responder on the shared server runtime: every accepted connection gets
/// ``HTTPServerPipeline``; a connection over the cap is answered 503 and closed.
public struct HTTPServerChild<Responder: HTTPResponder>: ServerChild {
    public let responder: Responder
    public let configuration: HTTPServerConfiguration

    public init(responder: Responder, configuration: HTTPServerConfiguration = HTTPServerConfiguration()) {
        self.responder = responder
        self.configuration = configuration
    }

    public func setup(channel: any Channel, logger: Logger) throws {
        try channel.syncOptions?.setOption(.socketOption(.tcp_nodelay), value: 1)
        try HTTPServerPipeline.configure(channel, responder: responder, configuration: configuration, logger: logger)
    }

    public func refuse(channel: any Channel, logger: Logger) {
        if (try? HTTPServerPipeline.configureOverloaded(channel)) == nil { channel.close(promise: nil) }
    }

    /// A server for `responder` on `listen`, capped at the configuration's `maxConnections`; HTTPS when `tls`
    /// is given (file bodies are then streamed in chunks instead of sent with sendfile).
    public static func server(listen: Endpoint, configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                              tls: TLSContextSource? = nil, socketPerEventLoop: Bool = false,
                              responder: Responder, group: any EventLoopGroup, logger: Logger) -> Server<HTTPServerChild> {
        var configuration = configuration
        if tls != nil { configuration.sendsFileRegions = false }
        let listener = ListenerConfiguration(address: listen, socketPerEventLoop: socketPerEventLoop, tls: tls.map { .implicit($0) } ?? .none,
                                             maximumConnections: configuration.maxConnections)
        return Server(child: HTTPServerChild(responder: responder, configuration: configuration), configuration: listener,
                      group: group, logger: logger)
    }
}
