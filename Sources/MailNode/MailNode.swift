import Directory
public import Logging
import MailAccess
import MailStore
public import NIOCore
public import NIOPosix
public import SMTPServer
public import ServiceLifecycle
public import ShoalCore
public import ShoalServer

/// A mail node: every protocol its configuration lists (today SMTP and LMTP) over one directory and one
/// shared store, as one service. Graceful shutdown stops accepting and drains all listeners together:
/// sessions end at their next command boundary, deliveries under way finish first.
public final class MailNode: Service, Sendable {
    public let configuration: MailNodeConfiguration
    /// The servers, in the order of the configuration (SMTP, then LMTP).
    public let servers: [Server<SMTPServerChild>]
    /// The STARTTLS certificate, shared by every listener; re-read by ``reload()``.
    public let tls: TLSContextSource?
    let logger: Logger

    /// Opens the directory (off the caller's thread) and the store and builds the servers (nothing is bound
    /// yet: see ``start()``).
    public init(_ configuration: MailNodeConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "shoal.mail-node")) async throws {
        let directory = try await configuration.directory.openDirectory(ldap: configuration.ldap)
        let store = MailStore(configuration: MailStoreConfiguration(root: configuration.storeRoot, hostname: configuration.hostname,
                                                                    fsync: configuration.fsync))
        let relay = configuration.relayHost.map { RelayClient(host: $0, heloName: configuration.hostname) }
        let authenticator = MailAuthenticator(directory: directory, logger: logger)
        let agent = LocalDeliveryAgent(directory: directory, store: store, localDomains: configuration.localDomains, relay: relay,
                                       authenticator: authenticator, logger: logger)
        let tls = try configuration.tlsSource()
        var servers: [Server<SMTPServerChild>] = []
        for (mode, address) in [(SMTPSessionConfiguration.Mode.smtp, configuration.smtp), (.lmtp, configuration.lmtp)] {
            guard let address else { continue }
            var serverLogger = logger
            serverLogger[metadataKey: "protocol"] = "\(mode)"
            let listener = ListenerConfiguration(address: address, tls: tls.map { .startTLS($0) } ?? .none)
            servers.append(SMTPServerChild.server(listener, session: configuration.session(mode), lineProtocol: configuration.lineProtocol,
                                                  agent: agent, group: group, logger: serverLogger))
        }
        self.configuration = configuration
        self.servers = servers
        self.tls = tls
        self.logger = logger
    }

    /// Binds every listener (all or none); returns the bound addresses in order.
    @discardableResult
    public func start() async throws -> [Endpoint] {
        var bound: [Endpoint] = []
        do {
            for server in servers { bound.append(try await server.start()) }
        } catch {
            for server in servers { await server.shutdownGracefully() }
            throw error
        }
        return bound
    }

    /// Serves until graceful shutdown, then drains every listener at once.
    public func run() async throws {
        try await ServerGroup(servers).run()
    }

    /// SIGHUP: re-reads the TLS certificate (new connections get it; on error the old one stays).
    public func reload() async {
        guard let tls else { return }
        do {
            try tls.reload()
            logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
        } catch {
            logger.error("reload failed; keeping the running certificate", metadata: ["error": "\(error)"])
        }
    }
}
