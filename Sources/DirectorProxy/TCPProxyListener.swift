public import Director
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
public import ShoalCore

/// A listening socket on a virtual service address whose connections are scheduled by the Director
/// core and spliced to real servers. Settings can change while it runs (they apply to new connections).
public final class TCPProxyListener: Sendable {
    public let service: VirtualServiceKey
    public let listen: Endpoint
    private let scheduler: any ConnectionScheduler
    private let tracker: ProxyConnectionTracker
    private let logger: Logger
    private let currentSettings: NIOLockedValueBox<ProxySettings>
    private let currentHTTP = NIOLockedValueBox<HTTPSwitchingProxy?>(nil)
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    public init(service: VirtualServiceKey, listen: Endpoint, settings: ProxySettings, scheduler: any ConnectionScheduler,
                tracker: ProxyConnectionTracker, logger: Logger) {
        self.service = service
        self.listen = listen
        self.scheduler = scheduler
        self.tracker = tracker
        self.logger = logger
        self.currentSettings = NIOLockedValueBox(settings)
    }

    /// The settings new connections get.
    public var settings: ProxySettings {
        get { currentSettings.withLockedValue { $0 } }
        set { currentSettings.withLockedValue { $0 = newValue } }
    }

    /// HTTP content switching for new connections, or nil to splice bytes (L4).
    public var http: HTTPServiceConfig? {
        get { currentHTTP.withLockedValue { $0?.config } }
        set {
            let settings = self.settings
            let proxy = newValue.map {
                HTTPSwitchingProxy(config: $0, scheduler: scheduler, virtual: listen, connectTimeout: settings.connectTimeout,
                                   idleTimeout: settings.idleTimeout, outgoingProxyProtocol: settings.sendProxyProtocol,
                                   maximumAttempts: settings.maxAttempts, logger: logger)
            }
            currentHTTP.withLockedValue { $0 = proxy }
        }
    }

    /// The address actually bound (useful with port 0).
    public var localAddress: SocketAddress? { channel.withLockedValue { $0?.localAddress } }

    /// Binds the listening socket and starts accepting.
    public func start(group: any EventLoopGroup) async throws {
        let service = self.service, listen = self.listen, scheduler = self.scheduler
        let tracker = self.tracker, logger = self.logger, currentSettings = self.currentSettings
        let currentHTTP = self.currentHTTP
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                let settings = currentSettings.withLockedValue { $0 }
                let http = currentHTTP.withLockedValue { $0 }
                tracker.track(child)
                do {
                    let ops = child.pipeline.syncOperations
                    if settings.acceptProxyProtocol {
                        try ops.addHandler(ProxyProtocolReceiver(onError: { error in
                            logger.info("bad PROXY header from the load balancer", metadata: ["error": "\(error)"])
                        }))
                    }
                    if let http {
                        try http.configure(child)
                        return child.eventLoop.makeSucceededVoidFuture()
                    }
                    try ops.addHandler(IdleStateHandler(allTimeout: settings.idleTimeout))
                    try ops.addHandler(IdleConnectionCloser())
                    try ops.addHandler(TCPProxyFrontend(service: service, virtual: listen, scheduler: scheduler,
                                                        settings: settings, logger: logger))
                    return child.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return child.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(to: listen.socketAddress)
            .get()
        channel.withLockedValue { $0 = server }
        logger.info("listening", metadata: ["service": "\(service)", "address": "\(listen)"])
    }

    /// Stops accepting; established connections carry on.
    public func stop() async {
        guard let server = channel.withLockedValue({ c in defer { c = nil }; return c }) else { return }
        try? await server.close()
    }
}

/// Closes a connection when `IdleStateHandler` reports it idle.
final class IdleConnectionCloser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
