import Director
public import Logging
public import NIOCore
import NIOHTTP1
import NIOSSL
public import ShoalCore
import ShoalServer

/// L7 HTTP content switching for one virtual service: parses requests on accepted client connections,
/// routes each to a pool, picks a real server (persistence cookie or the director's scheduler), and
/// relays request and response, reusing a server connection while requests keep going to it.
public struct HTTPSwitchingProxy: Sendable {
    public let config: HTTPServiceConfig
    public let scheduler: any ConnectionScheduler
    /// The virtual endpoint clients connect to (the default pool's `-t` key, and `by=` in Forwarded).
    public let virtual: Endpoint
    public let connectTimeout: TimeAmount
    /// A client connection with no traffic either way for this long is closed.
    public let idleTimeout: TimeAmount
    /// Send a PROXY header with the real client on every server connection.
    public let outgoingProxyProtocol: ProxyProtocolVersion?
    /// Servers tried per request before answering 503.
    public let maximumAttempts: Int
    public let logger: Logger
    /// How server connections are opened (sockets, or test channels).
    public let connector: BackendConnector
    let cookies: HTTPCookiePersistence?

    public init(config: HTTPServiceConfig, scheduler: any ConnectionScheduler, virtual: Endpoint,
                connectTimeout: TimeAmount = .seconds(5), idleTimeout: TimeAmount = .seconds(60),
                outgoingProxyProtocol: ProxyProtocolVersion? = nil, maximumAttempts: Int = 4,
                logger: Logger = Logger(label: "shoal.proxy.http"), connector: BackendConnector = .sockets) {
        self.connector = connector
        self.config = config
        self.scheduler = scheduler
        self.virtual = virtual
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.outgoingProxyProtocol = outgoingProxyProtocol
        self.maximumAttempts = max(1, maximumAttempts)
        self.logger = logger
        self.cookies = config.cookie.map { HTTPCookiePersistence(name: $0) }
    }

    /// Adds the HTTP server codec and the switching handler to an accepted client channel, after any
    /// handlers already there (e.g. a `ProxyProtocolReceiver`). Call on the channel's event loop.
    public func configure(_ channel: any Channel) throws {
        try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = config.maximumHeaderBytes
        limits.maxHeaderFieldSize = config.maximumHeaderBytes
        let pipeline = channel.pipeline.syncOperations
        // Before TLS, so that a client that stalls in the handshake is closed like any idle one.
        try pipeline.addHandler(IdleTimeoutHandler(timeout: idleTimeout))
        if let tls = config.tls {
            try pipeline.addHandler(NIOSSLServerHandler(context: tls.context))
        }
        // An upgrade configuration with no upgraders of its own: NIO's upgrade handler steps aside at the
        // first request, and the request decoder keeps bytes read past an upgrade request for the splice.
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withServerUpgrade: (upgraders: [], completionHandler: { _ in }),
            withErrorHandling: true, withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
        try pipeline.addHandler(HTTPSwitchingHandler(proxy: self))
    }

    /// `configure` as a future, for `ServerBootstrap.childChannelInitializer` (runs on the channel's loop).
    public func initialize(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture { try self.configure(channel) }
    }
}
