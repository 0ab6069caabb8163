import Directory
public import Logging
import MailAccess
import MailStore
public import NIOCore
public import NIOPosix
import SMTPServer
import POP3Server
import IMAPServer
import ShoalHTTP
import Webmail
public import ServiceLifecycle
public import ShoalCore
public import ShoalServer

/// A mail node: every protocol its configuration lists (SMTP, LMTP, submission, POP3, IMAP, and the
/// implicit-TLS ports) over one directory and one shared store, as one service. Graceful shutdown stops
/// accepting and drains all listeners together: sessions end at their next command boundary, deliveries
/// under way finish first.
public final class MailNode: Service, Sendable {
    public let configuration: MailNodeConfiguration
    /// The servers, in the order SMTP, LMTP, submission, submissions, POP3, POP3S, IMAP, IMAPS, webmail HTTPS, HTTP
    /// (those configured).
    public let servers: [any BindableServer]
    /// The STARTTLS certificate, shared by every listener; re-read by ``reload()``.
    public let tls: TLSContextSource?
    let logger: Logger

    /// Opens the directory (off the caller's thread) and the store and builds the servers (nothing is bound
    /// yet: see ``start()``).
    public init(_ configuration: MailNodeConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "shoal.mail-node")) async throws {
        let directory = try await configuration.directory.openDirectory(ldap: configuration.ldap)
        let notification = Self.changeNotification(configuration, logger: logger)
        let store = MailStore(configuration: MailStoreConfiguration(root: configuration.storeRoot, hostname: configuration.hostname,
                                                                    fsync: configuration.fsync, changeNotification: notification))
        let relay = configuration.relayHost.map { RelayClient(host: $0, heloName: configuration.hostname) }
        let authenticator = MailAuthenticator(directory: directory, logger: logger)
        let agent = LocalDeliveryAgent(directory: directory, store: store, localDomains: configuration.localDomains, relay: relay,
                                       authenticator: authenticator, logger: logger)
        let tls = try configuration.tlsSource()
        var servers: [any BindableServer] = []
        let gate = configuration.proxyProtocolTrusted.isEmpty ? nil
            : ProxyProtocolGate.gate(trusted: Set(configuration.proxyProtocolTrusted), logger: logger)
        /// The client listeners (not SMTP/LMTP, whose peers are MTAs) wait for a trusted director's PROXY header.
        func gated(_ listener: ListenerConfiguration) -> ListenerConfiguration {
            var listener = listener
            listener.gate = gate
            return listener
        }
        func protocolLogger(_ name: String) -> Logger {
            var serverLogger = logger
            serverLogger[metadataKey: "protocol"] = "\(name)"
            return serverLogger
        }
        for (mode, address) in [(SMTPSessionConfiguration.Mode.smtp, configuration.smtp), (.lmtp, configuration.lmtp)] {
            guard let address else { continue }
            let listener = ListenerConfiguration(address: address, tls: tls.map { .startTLS($0) } ?? .none)
            servers.append(SMTPServerChild.server(listener, session: configuration.session(mode), lineProtocol: configuration.lineProtocol,
                                                  agent: agent, group: group, logger: protocolLogger("\(mode)")))
        }
        let submissionListeners: [(String, ListenerConfiguration)] = [
            configuration.submission.map { ("submission", ListenerConfiguration(address: $0, tls: tls.map { .startTLS($0) } ?? .none)) },
            configuration.submissions.flatMap { address in tls.map { ("submissions", ListenerConfiguration(address: address, tls: .implicit($0))) } },
        ].compactMap { $0 }
        for (name, listener) in submissionListeners {
            servers.append(SMTPServerChild.server(gated(listener), session: configuration.submissionSession, lineProtocol: configuration.lineProtocol,
                                                  agent: agent, group: group, logger: protocolLogger(name)))
        }
        let pop3Listeners: [(String, ListenerConfiguration)] = [
            configuration.pop3.map { ("pop3", ListenerConfiguration(address: $0, tls: tls.map { .startTLS($0) } ?? .none)) },
            configuration.pop3s.flatMap { address in tls.map { ("pop3s", ListenerConfiguration(address: address, tls: .implicit($0))) } },
        ].compactMap { $0 }
        for (name, listener) in pop3Listeners {
            servers.append(POP3ServerChild.server(gated(listener), session: configuration.pop3Session, lineProtocol: configuration.pop3LineProtocol,
                                                  store: store, authenticator: authenticator, group: group, logger: protocolLogger(name)))
        }
        let imapListeners: [(String, ListenerConfiguration)] = [
            configuration.imap.map { ("imap", ListenerConfiguration(address: $0, tls: tls.map { .startTLS($0) } ?? .none)) },
            configuration.imaps.flatMap { address in tls.map { ("imaps", ListenerConfiguration(address: address, tls: .implicit($0))) } },
        ].compactMap { $0 }
        let summaries = IMAPSummaryCache()
        for (name, listener) in imapListeners {
            servers.append(IMAPServerChild.server(gated(listener), session: configuration.imapSession, store: store, authenticator: authenticator,
                                                  summaries: summaries, idlePollInterval: .milliseconds(configuration.idlePollMilliseconds),
                                                  idleSafetyPollInterval: .milliseconds(configuration.idleSafetyPollMilliseconds),
                                                  group: group, logger: protocolLogger(name)))
        }
        servers += try Self.webmailServers(configuration, tls: tls, authenticator: authenticator, store: store, agent: agent,
                                           group: group, logger: protocolLogger("webmail"))
        self.configuration = configuration
        self.servers = servers
        self.tls = tls
        self.logger = logger
    }

    /// The change notification the store runs with: inotify as configured, unless it is unavailable here or the
    /// store root is on a network filesystem (then polling, said in the log once).
    static func changeNotification(_ configuration: MailNodeConfiguration, logger: Logger) -> ChangeNotification {
        guard configuration.imap != nil || configuration.imaps != nil else { return configuration.changeNotification }
        let (mode, fallback) = ChangeNotification.effective(
            requested: configuration.changeNotification, inotifyAvailable: ChangeNotification.inotifyAvailable,
            filesystem: configuration.changeNotification == .inotify ? FilesystemKind.of(path: configuration.storeRoot) : .unknown)
        if let fallback {
            logger.notice("IMAP IDLE polls folders instead of using inotify: \(fallback)",
                          metadata: ["idle_poll_ms": "\(configuration.idlePollMilliseconds)"])
        } else {
            logger.info("IMAP IDLE change notification", metadata: [
                "mode": "\(mode.rawValue)",
                "poll_ms": "\(mode == .inotify ? configuration.idleSafetyPollMilliseconds : configuration.idlePollMilliseconds)"])
        }
        return mode
    }

    /// Binds every listener (all or none); returns the bound addresses in order.
    @discardableResult
    public func start() async throws -> [Endpoint] {
        try await servers.startAll()
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
