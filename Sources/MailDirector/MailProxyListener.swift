public import Director
public import DirectorProxy
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOSSL
public import ShoalCore
public import ShoalServer

/// A listening socket of a mail proxy service (`protocol: imap|pop3|submission`): every connection gets a
/// pre-authentication session of the protocol (behind TLS on an implicit-TLS listener), then is spliced to
/// the node of its user. Settings can change while it runs (they apply to new connections).
public final class MailProxyListener: Sendable {
    public let service: VirtualServiceKey
    public let listen: Endpoint
    public let statistics: MailProxyStatistics
    private let scheduler: any ConnectionScheduler
    private let registry: ConnectionRegistry
    private let logger: Logger
    private let connector: BackendConnector
    /// What new connections share (replaced when the settings change).
    private let current: NIOLockedValueBox<MailProxyService>
    private let listener = NIOLockedValueBox<Listener?>(nil)

    public init(service: VirtualServiceKey, listen: Endpoint, settings: MailProxySettings, scheduler: any ConnectionScheduler,
                registry: ConnectionRegistry, statistics: MailProxyStatistics, logger: Logger, connector: BackendConnector = .sockets) {
        self.service = service
        self.listen = listen
        self.scheduler = scheduler
        self.registry = registry
        self.statistics = statistics
        self.logger = logger
        self.connector = connector
        self.current = NIOLockedValueBox(MailProxyService(settings: settings, virtual: listen, scheduler: scheduler, connector: connector,
                                                          statistics: statistics, logger: logger))
    }

    /// The settings new connections get.
    public var settings: MailProxySettings {
        get { current.withLockedValue { $0.settings } }
        set {
            let service = MailProxyService(settings: newValue, virtual: listen, scheduler: scheduler, connector: connector,
                                           statistics: statistics, logger: logger)
            current.withLockedValue { $0 = service }
        }
    }

    /// The address actually bound.
    public var boundAddress: Endpoint? { listener.withLockedValue { $0?.boundAddress } }

    public func start(group: any EventLoopGroup) async throws {
        let listen = self.listen, logger = self.logger, current = self.current
        let configuration = ListenerConfiguration(address: listen, backlog: 4096, socketPerEventLoop: true,
                                                  allowRemoteHalfClosure: true, maximumConnections: nil)
        let bound = try await Listener.bind(configuration, group: group, registry: registry, logger: logger) { child in
            let service = current.withLockedValue { $0 }
            let ops = child.pipeline.syncOperations
            if service.settings.session.implicitTLS, let tls = service.settings.tls {
                try ops.addHandler(NIOSSLServerHandler(context: tls.context))
            }
            try ops.addHandler(MailProxyFrontend(service: service))
        }
        listener.withLockedValue { $0 = bound }
        logger.info("mail proxy listening", metadata: ["service": "\(service)", "address": "\(listen)",
                                                       "protocol": "\(settings.proto.rawValue)"])
    }

    /// Stops accepting; spliced sessions carry on.
    public func stop() async {
        await listener.withLockedValue { listener in defer { listener = nil }; return listener }?.close()
    }
}

/// What the connections of one mail proxy listener share, one reference per connection: the settings, a
/// pre-authentication session made once (each connection starts from a copy), and where to schedule,
/// connect and count.
final class MailProxyService: Sendable {
    let settings: MailProxySettings
    let session: any MailProxySession
    let virtual: Endpoint
    let scheduler: any ConnectionScheduler
    let connector: BackendConnector
    let statistics: MailProxyStatistics
    let logger: Logger

    init(settings: MailProxySettings, virtual: Endpoint, scheduler: any ConnectionScheduler, connector: BackendConnector,
         statistics: MailProxyStatistics, logger: Logger) {
        self.settings = settings
        self.session = settings.makeSession()
        self.virtual = virtual
        self.scheduler = scheduler
        self.connector = connector
        self.statistics = statistics
        self.logger = logger
    }
}
