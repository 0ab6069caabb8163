import Directory
public import Logging
import MailStore
public import NIOCore
public import NIOPosix
import ShoalCore

/// A running mail node: the SMTP and LMTP listeners over one directory and one shared store.
public final class MailNode: Sendable {
    public let configuration: MailNodeConfiguration
    public let listeners: [SMTPListener]

    /// Opens the directory and the store and binds every configured listener.
    public static func start(_ configuration: MailNodeConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             logger: Logger = Logger(label: "shoal.mail-node")) async throws -> MailNode {
        let directory = try configuration.directory.makeDirectory(ldap: configuration.ldap)
        let store = MailStore(configuration: MailStoreConfiguration(root: configuration.storeRoot, hostname: configuration.hostname,
                                                                    fsync: configuration.fsync))
        let relay = configuration.relayHost.map { RelayClient(host: $0, heloName: configuration.hostname) }
        let agent = LocalDeliveryAgent(directory: directory, store: store, localDomains: configuration.localDomains, relay: relay)
        let tls = try configuration.tlsContext()
        var listeners: [SMTPListener] = []
        do {
            if let smtp = configuration.smtp {
                listeners.append(try await SMTPListener.bind(
                    SMTPListenerConfiguration(address: smtp, session: configuration.session(.smtp),
                                              timeouts: configuration.timeouts, tls: tls),
                    agent: agent, group: group, logger: logger))
            }
            if let lmtp = configuration.lmtp {
                listeners.append(try await SMTPListener.bind(
                    SMTPListenerConfiguration(address: lmtp, session: configuration.session(.lmtp),
                                              timeouts: configuration.timeouts, tls: tls),
                    agent: agent, group: group, logger: logger))
            }
        } catch {
            for listener in listeners { await listener.close() }
            throw error
        }
        return MailNode(configuration: configuration, listeners: listeners)
    }

    init(configuration: MailNodeConfiguration, listeners: [SMTPListener]) {
        self.configuration = configuration
        self.listeners = listeners
    }

    /// Stops accepting new connections.
    public func stop() async {
        for listener in listeners { await listener.close() }
    }
}
