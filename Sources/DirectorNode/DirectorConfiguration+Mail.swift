import DirectorProxy
import Directory
import MailDirector
import NIOCore
import ShoalCore
import ShoalServer

extension DirectorConfiguration {
    static let mailFields: Set<String> = [
        "hostname", "capabilities", "allow_plaintext", "certificate", "key", "implicit_tls", "command_timeout", "login_timeout",
        "max_line_length", "max_errors", "max_failed_logins", "directory", "ldap", "node_tls",
    ]

    /// The `mail:` block of an imap/pop3/submission service (every field optional).
    static func parseMail(_ node: ConfigNode?, proto: MailProxyProtocol, proxy: ProxySettings) throws(ConfigError) -> MailProxySettings {
        try node?.allowOnly(mailFields)
        let defaults: [String]
        switch proto {
        case .imap: defaults = MailProxyConfiguration.shoalIMAPCapabilities
        case .pop3: defaults = MailProxyConfiguration.shoalPOP3Capabilities
        case .submission: defaults = MailProxyConfiguration.shoalSubmissionCapabilities
        }
        var session = MailProxyConfiguration(hostname: try node?.optional("hostname")?.string() ?? "director", capabilities: defaults)
        if let list = try node?.optional("capabilities") {
            var capabilities: [String] = []
            for item in try list.list() { capabilities.append(try item.string()) }
            session.capabilities = capabilities
        }
        session.allowPlaintextAuthentication = try node?.optional("allow_plaintext")?.bool() ?? false
        session.implicitTLS = try node?.optional("implicit_tls")?.bool() ?? false
        if let v = try node?.optional("max_errors") { session.maximumErrors = try v.int(in: 1...1000) }
        if let v = try node?.optional("max_failed_logins") { session.maximumFailedLogins = try v.int(in: 1...1000) }
        var settings = MailProxySettings(proto: proto, session: session, proxy: proxy)
        if let v = try node?.optional("command_timeout") { settings.commandTimeout = .nanoseconds(Int64(try v.seconds(in: 0.001...86_400) * 1e9)) }
        if let v = try node?.optional("login_timeout") { settings.loginTimeout = .nanoseconds(Int64(try v.seconds(in: 0.001...3600) * 1e9)) }
        if let v = try node?.optional("max_line_length") { settings.maximumLineLength = try v.int(in: 64...65536) }
        if let nodeTLS = try node?.optional("node_tls") {
            settings.nodeTLS = try NodeTLS.parse(nodeTLS)
        }
        if let directory = try node?.optional("directory") {
            let (spec, ldap) = try DirectorySpec.parse(directory: directory, ldap: try node?.optional("ldap"))
            settings.directory = MailDirectoryReference(spec: spec, ldap: ldap)
        } else if let ldap = try node?.optional("ldap") {
            throw ldap.error("ldap options need a directory")
        }
        let certificate = try node?.optional("certificate")
        let key = try node?.optional("key")
        if let certificate, let key {
            settings.tls = try TLSContextSource(certificatePath: try certificate.string(), keyPath: try key.string())
            settings.session.tlsAvailable = !session.implicitTLS
        } else if let lone = certificate ?? key {
            throw lone.error("certificate and key go together")
        } else if session.implicitTLS, let node {
            throw node.error("implicit_tls needs a certificate and key")
        }
        return settings
    }

    /// `engine: epoll` carries plaintext mail sessions only: STARTTLS, implicit TLS and TLS to the nodes stay on
    /// the NIO engine, so a mail service asking for both is refused, naming the TLS field.
    static func refuseTLSOnEpoll(_ node: ConfigNode?) throws(ConfigError) {
        for field in ["implicit_tls", "node_tls", "certificate", "key"] {
            if let tlsNode = try node?.optional(field) {
                throw tlsNode.error("engine epoll carries plaintext mail sessions only; TLS (\(field)) needs engine nio")
            }
        }
    }
}
