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
    private let currentSettings: NIOLockedValueBox<MailProxySettings>
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
        self.currentSettings = NIOLockedValueBox(settings)
    }

    /// The settings new connections get.
    public var settings: MailProxySettings {
        get { currentSettings.withLockedValue { $0 } }
        set { currentSettings.withLockedValue { $0 = newValue } }
    }

    /// The address actually bound.
    public var boundAddress: Endpoint? { listener.withLockedValue { $0?.boundAddress } }

    public func start(group: any EventLoopGroup) async throws {
        let listen = self.listen, scheduler = self.scheduler, logger = self.logger, statistics = self.statistics
        let connector = self.connector, currentSettings = self.currentSettings
        let configuration = ListenerConfiguration(address: listen, backlog: 4096, socketPerEventLoop: true,
                                                  allowRemoteHalfClosure: true, maximumConnections: nil)
        let bound = try await Listener.bind(configuration, group: group, registry: registry, logger: logger) { child in
            let settings = currentSettings.withLockedValue { $0 }
            let ops = child.pipeline.syncOperations
            if settings.session.implicitTLS, let tls = settings.tls {
                try ops.addHandler(NIOSSLServerHandler(context: tls.context))
            }
            try ops.addHandler(MailProxyFrontend(session: settings.makeSession(), settings: settings, virtual: listen,
                                                 scheduler: scheduler, connector: connector, statistics: statistics, logger: logger))
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
