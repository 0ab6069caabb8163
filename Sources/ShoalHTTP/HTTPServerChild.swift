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

    /// A server for `responder` on `listen`, capped at the configuration's `maxConnections`.
    public static func server(listen: Endpoint, configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                              responder: Responder, group: any EventLoopGroup, logger: Logger) -> Server<HTTPServerChild> {
        let listener = ListenerConfiguration(address: listen, maximumConnections: configuration.maxConnections)
        return Server(child: HTTPServerChild(responder: responder, configuration: configuration), configuration: listener,
                      group: group, logger: logger)
    }
}
