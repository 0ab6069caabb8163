public import Director
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
public import ShoalCore
public import ShoalServer

/// A listening socket on a virtual service address whose connections are scheduled by the Director
/// core and spliced to real servers. Settings can change while it runs (they apply to new connections).
public final class TCPProxyListener: Sendable {
    public let service: VirtualServiceKey
    public let listen: Endpoint
    private let scheduler: any ConnectionScheduler
    private let registry: ConnectionRegistry
    private let logger: Logger
    private let currentSettings: NIOLockedValueBox<ProxySettings>
    /// What new connections share, rebuilt when the settings change.
    private let currentShared: NIOLockedValueBox<TCPProxyService>
    private let currentHTTP = NIOLockedValueBox<HTTPSwitchingProxy?>(nil)
    private let listener = NIOLockedValueBox<Listener?>(nil)

    public init(service: VirtualServiceKey, listen: Endpoint, settings: ProxySettings, scheduler: any ConnectionScheduler,
                registry: ConnectionRegistry, logger: Logger) {
        self.service = service
        self.listen = listen
        self.scheduler = scheduler
        self.registry = registry
        self.logger = logger
        self.currentSettings = NIOLockedValueBox(settings)
        self.currentShared = NIOLockedValueBox(TCPProxyService(service: service, virtual: listen, scheduler: scheduler, settings: settings,
                                                               logger: logger))
    }

    /// The settings new connections get.
    public var settings: ProxySettings {
        get { currentSettings.withLockedValue { $0 } }
        set {
            let shared = TCPProxyService(service: service, virtual: listen, scheduler: scheduler, settings: newValue, logger: logger)
            currentSettings.withLockedValue { $0 = newValue }
            currentShared.withLockedValue { $0 = shared }
        }
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
    public var boundAddress: Endpoint? { listener.withLockedValue { $0?.boundAddress } }

    /// Binds one listening socket per event loop (SO_REUSEPORT: the kernel spreads new connections over
    /// them, and each connection and its server connection stay on the loop that accepted it).
    public func start(group: any EventLoopGroup) async throws {
        let service = self.service, listen = self.listen
        let logger = self.logger, currentShared = self.currentShared, currentHTTP = self.currentHTTP
        let configuration = ListenerConfiguration(address: listen, backlog: 4096, socketPerEventLoop: true,
                                                  allowRemoteHalfClosure: true, maximumConnections: nil)
        let bound = try await Listener.bind(configuration, group: group, registry: registry, logger: logger) { child in
            let shared = currentShared.withLockedValue { $0 }
            let settings = shared.settings
            let http = currentHTTP.withLockedValue { $0 }
            let ops = child.pipeline.syncOperations
            if settings.acceptProxyProtocol {
                try ops.addHandler(ProxyProtocolReceiver(onError: { error in
                    logger.info("bad PROXY header from the load balancer", metadata: ["error": "\(error)"])
                }))
            }
            if let http {
                try http.configure(child)
                return
            }
            try ops.addHandler(TCPProxyFrontend(shared: shared))
        }
        listener.withLockedValue { $0 = bound }
        logger.info("listening", metadata: ["service": "\(service)", "address": "\(listen)", "sockets": "\(bound.socketCount)"])
    }

    /// Stops accepting; established connections carry on.
    public func stop() async {
        await listener.withLockedValue { listener in defer { listener = nil }; return listener }?.close()
    }
}
