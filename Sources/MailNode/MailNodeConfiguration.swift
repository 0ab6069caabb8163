public import Directory
public import SMTPServer
public import POP3Server
public import IMAPServer
public import MailStore
public import ShoalCore
public import ShoalServer
public import Webmail
import NIOCore

/// A mail node's configuration file (YAML): listeners, the directory, the store, TLS and limits.
///
/// ```yaml
/// hostname: mx1.shoal.test
/// directory: sqlite:/var/lib/shoal/users.db      # or ldap://host:389 (then an `ldap:` block)
/// store: { root: /srv/mail, fsync: true }
/// smtp: { listen: 127.0.0.1:2525 }
/// lmtp: { listen: 127.0.0.1:2424 }
/// submission: { listen: 127.0.0.1:1587 }           # STARTTLS, AUTH before MAIL (RFC 6409)
/// submissions: { listen: 127.0.0.1:1465 }          # implicit TLS, AUTH before MAIL (RFC 8314; needs tls)
/// pop3: { listen: 127.0.0.1:1110 }                 # STLS when tls is set
/// pop3s: { listen: 127.0.0.1:1995 }                # implicit TLS (needs tls)
/// imap: { listen: 127.0.0.1:1143 }                 # STARTTLS when tls is set
/// imaps: { listen: 127.0.0.1:1993 }                # implicit TLS (needs tls)
/// tls: { certificate: cert.pem, key: key.pem }   # enables STARTTLS / STLS
/// local_domains: [shoal.test]
/// relay_host: 127.0.0.1:10025                      # authenticated users may relay through it
/// limits: { message_size: 26214400, recipients: 100, errors: 10, command_timeout: 300, data_timeout: 180, idle_poll_ms: 500,
///          change_notify: inotify, idle_safety_poll_ms: 30000 }   # change_notify: inotify (default) or poll
/// auth: { allow_plaintext: false, require_tls: false }
/// over_quota: temporary                            # or permanent (552 instead of 452)
/// https: { listen: 127.0.0.1:8443 }                # webmail over TLS (needs tls)
/// http: { listen: 127.0.0.1:8080, allow_plaintext: true }   # webmail without TLS: loopback only, and only when allowed
/// webmail: { admins: [admin], idle_timeout: 1800, absolute_timeout: 43200, page_size: 50,
///            secret_file: cookie.key, audit_log: /var/log/shoal/admin.log }
/// ```
public struct MailNodeConfiguration: Sendable {
    public var hostname: String
    public var directory: DirectorySpec
    public var ldap: DirectorySpec.LDAPOptions
    public var storeRoot: String
    public var fsync: Bool
    public var smtp: Endpoint?
    public var lmtp: Endpoint?
    public var submission: Endpoint?
    public var submissions: Endpoint?
    public var pop3: Endpoint?
    public var pop3s: Endpoint?
    public var imap: Endpoint?
    public var imaps: Endpoint?
    public var certificateFile: String?
    public var keyFile: String?
    public var localDomains: [String]
    public var relayHost: Endpoint?
    public var maximumMessageSize: Int
    public var maximumRecipients: Int
    public var maximumErrors: Int
    public var commandTimeoutSeconds: Int
    public var dataTimeoutSeconds: Int
    /// How often an IMAP session in IDLE looks at its folder for changes by other sessions and nodes.
    public var idlePollMilliseconds: Int
    /// How IDLE learns of changes: inotify (falling back to polling where it cannot work) or polling only.
    public var changeNotification: ChangeNotification
    /// With inotify, how often IDLE still re-reads its folder, in case a notification was missed.
    public var idleSafetyPollMilliseconds: Int
    public var allowPlaintextAuthentication: Bool
    public var requireTLS: Bool
    public var overQuotaIsPermanent: Bool
    /// Addresses (a mail director) whose connections to the client listeners (IMAP, POP3, submission, with
    /// their implicit-TLS forms) must start with a PROXY protocol header naming the real client; empty: none.
    public var proxyProtocolTrusted: [IPAddress] = []
    /// The webmail's plain-HTTP listener (loopback only, explicitly allowed) and its HTTPS listener.
    public var http: Endpoint?
    public var https: Endpoint?
    /// The webmail's sessions, pages and administrators (`secure` follows the listener).
    public var webmail = WebmailSettings()
    /// The file holding the key that signs session cookies (so they survive a restart and are shared by nodes);
    /// nil: a random key per process.
    public var webmailSecretFile: String?

    static let topLevel: Set<String> = ["hostname", "directory", "ldap", "store", "smtp", "lmtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps", "tls", "local_domains",
                                        "relay_host", "limits", "auth", "over_quota", "proxy_protocol", "http", "https", "webmail"]

    /// Reads a configuration file; every error names the file, line and field.
    public static func load(path: String) throws(ConfigError) -> MailNodeConfiguration {
        try parse(ConfigDocument.load(path: path))
    }

    public static func parse(_ doc: ConfigNode) throws(ConfigError) -> MailNodeConfiguration {
        try doc.allowOnly(topLevel)
        let hostname = try doc.required("hostname").string()
        let (directory, ldap) = try DirectorySpec.parse(directory: try doc.required("directory"), ldap: try doc.optional("ldap"))
        let store = try doc.required("store")
        try store.allowOnly(["root", "fsync"])
        func listener(_ name: String) throws(ConfigError) -> Endpoint? {
            guard let node = try doc.optional(name) else { return nil }
            try node.allowOnly(["listen"])
            return try node.required("listen").endpoint()
        }
        let smtp = try listener("smtp"), lmtp = try listener("lmtp")
        let pop3 = try listener("pop3"), pop3s = try listener("pop3s")
        let imap = try listener("imap"), imaps = try listener("imaps")
        let submission = try listener("submission"), submissions = try listener("submissions")
        let (http, https) = try webmailListeners(doc)
        if [smtp, lmtp, submission, submissions, pop3, pop3s, imap, imaps, http, https].allSatisfy({ $0 == nil }) {
            throw doc.error("configure at least one of smtp, lmtp, submission, submissions, pop3, pop3s, imap, imaps, http and https")
        }
        var certificate: String?, key: String?
        if let tls = try doc.optional("tls") {
            try tls.allowOnly(["certificate", "key"])
            certificate = try tls.required("certificate").string()
            key = try tls.required("key").string()
        } else {
            for name in ["submissions", "pop3s", "imaps", "https"] where try doc.optional(name) != nil {
                throw try doc.required(name).error("\(name) (implicit TLS) needs a tls block with certificate and key")
            }
        }
        let limits = try doc.optional("limits")
        try limits?.allowOnly(["message_size", "recipients", "errors", "command_timeout", "data_timeout", "idle_poll_ms",
                                "change_notify", "idle_safety_poll_ms"])
        let auth = try doc.optional("auth")
        try auth?.allowOnly(["allow_plaintext", "require_tls"])
        let domains = try doc.optional("local_domains")?.list().map { (n: ConfigNode) throws(ConfigError) -> String in try n.string().lowercased() } ?? []
        var trusted: [IPAddress] = []
        if let proxy = try doc.optional("proxy_protocol") {
            try proxy.allowOnly(["trusted"])
            for item in try proxy.required("trusted").list() {
                guard let address = IPAddress(try item.string()) else { throw item.error("not an IP address") }
                trusted.append(address)
            }
        }
        var configuration = MailNodeConfiguration(
            hostname: hostname, directory: directory, ldap: ldap,
            storeRoot: try store.required("root").string(), fsync: try store.optional("fsync")?.bool() ?? true,
            smtp: smtp, lmtp: lmtp, submission: submission, submissions: submissions, pop3: pop3, pop3s: pop3s, imap: imap, imaps: imaps, certificateFile: certificate, keyFile: key, localDomains: domains,
            relayHost: try doc.optional("relay_host")?.endpoint(),
            maximumMessageSize: try limits?.optional("message_size")?.int(in: 1024...(1 << 31)) ?? SMTPSessionConfiguration.defaultMaximumMessageSize,
            maximumRecipients: try limits?.optional("recipients")?.int(in: 1...10_000) ?? 100,
            maximumErrors: try limits?.optional("errors")?.int(in: 1...1000) ?? 10,
            commandTimeoutSeconds: try limits?.optional("command_timeout")?.int(in: 1...86_400) ?? 300,
            dataTimeoutSeconds: try limits?.optional("data_timeout")?.int(in: 1...86_400) ?? 180,
            idlePollMilliseconds: try limits?.optional("idle_poll_ms")?.int(in: 50...60_000) ?? 500,
            changeNotification: ChangeNotification(
                rawValue: try limits?.optional("change_notify")?.choice(ChangeNotification.allCases.map(\.rawValue)) ?? "inotify")!,
            idleSafetyPollMilliseconds: try limits?.optional("idle_safety_poll_ms")?.int(in: 1000...3_600_000) ?? 30_000,
            allowPlaintextAuthentication: try auth?.optional("allow_plaintext")?.bool() ?? false,
            requireTLS: try auth?.optional("require_tls")?.bool() ?? false,
            overQuotaIsPermanent: (try doc.optional("over_quota")?.choice(["temporary", "permanent"]) ?? "temporary") == "permanent")
        configuration.proxyProtocolTrusted = trusted
        configuration.http = http
        configuration.https = https
        try configuration.parseWebmail(doc)
        return configuration
    }

    /// The line limits and idle timeouts of every listener.
    public var lineProtocol: LineProtocolConfiguration {
        LineProtocolConfiguration(commandTimeout: .seconds(Int64(commandTimeoutSeconds)), dataTimeout: .seconds(Int64(dataTimeoutSeconds)))
    }

    /// The session settings of a submission port: SMTP with AUTH required before MAIL (RFC 6409 §4.3).
    public var submissionSession: SMTPSessionConfiguration {
        var session = session(.smtp)
        session.requireAuthentication = true
        return session
    }

    /// The session settings for one of the two protocols.
    public func session(_ mode: SMTPSessionConfiguration.Mode) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(
            mode: mode, hostname: hostname, maximumMessageSize: maximumMessageSize, maximumRecipients: maximumRecipients,
            maximumErrors: maximumErrors, requireTLS: requireTLS, allowPlaintextAuthentication: allowPlaintextAuthentication,
            localDomains: localDomains, relayHost: relayHost?.description, overQuotaIsPermanent: overQuotaIsPermanent)
    }

    /// The POP3 session settings (POP3 and POP3S).
    public var pop3Session: POP3SessionConfiguration {
        POP3SessionConfiguration(hostname: hostname, allowPlaintextAuthentication: allowPlaintextAuthentication,
                                 maximumErrors: maximumErrors)
    }

    /// POP3's limits: lines up to 8 KiB (AUTH responses), RFC 1939's autologout of at least 10 minutes.
    public var pop3LineProtocol: LineProtocolConfiguration {
        var limits = POP3ServerChild.defaultLineProtocol
        limits.commandTimeout = .seconds(Int64(max(commandTimeoutSeconds, 600)))
        return limits
    }

    /// The IMAP session settings (IMAP and IMAPS).
    public var imapSession: IMAPSessionConfiguration {
        IMAPSessionConfiguration(hostname: hostname, allowPlaintextAuthentication: allowPlaintextAuthentication,
                                 maximumMessageSize: maximumMessageSize, maximumErrors: max(maximumErrors, 20))
    }

    /// The STARTTLS certificate, when one is configured (reloaded on SIGHUP).
    public func tlsSource() throws(ConfigError) -> TLSContextSource? {
        guard let certificateFile, let keyFile else { return nil }
        return try TLSContextSource(certificatePath: certificateFile, keyPath: keyFile)
    }
}
