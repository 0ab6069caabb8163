public import DirectorProxy
public import Directory
public import MailAccess
public import NIOCore
public import ShoalServer

/// Everything a mail proxy listener needs besides the scheduler: the protocol, what the sessions say,
/// the proxy settings for the nodes, the pre-login limits, and TLS.
public struct MailProxySettings: Sendable {
    public var proto: MailProxyProtocol
    public var session: MailProxyConfiguration
    /// Connect timeout, idle timeout after the splice, attempts, PROXY header to the node.
    public var proxy: ProxySettings
    /// Silence allowed before login.
    public var commandTimeout: TimeAmount = .seconds(60)
    /// How long a node may take to answer the replayed login (its failed-login delay included).
    public var loginTimeout: TimeAmount = .seconds(30)
    /// The longest client line before login, CR LF included.
    public var maximumLineLength = 8192
    /// The certificate for STARTTLS or implicit TLS.
    public var tls: TLSContextSource?
    /// TLS to the nodes (nil: plaintext, for nodes on a trusted network or loopback).
    public var nodeTLS: MailNodeTLS?
    /// The directory the director checks logins against before it chooses a node (nil: only the node
    /// checks them). A refused login then never reaches a node.
    public var directory: MailDirectoryReference?
    /// Opened from `directory` by the director (one per directory, shared by the services naming it).
    public var authenticator: MailAuthenticator?

    public init(proto: MailProxyProtocol, session: MailProxyConfiguration, proxy: ProxySettings) {
        self.proto = proto
        self.session = session
        self.proxy = proxy
    }

    /// A new pre-authentication session of this protocol.
    func makeSession() -> any MailProxySession {
        switch proto {
        case .imap: IMAPProxySession(configuration: session)
        case .pop3: POP3ProxySession(configuration: session)
        case .submission: SubmissionProxySession(configuration: session)
        }
    }
}

/// A directory named in a mail service's configuration: where it is and the LDAP options.
public struct MailDirectoryReference: Hashable, Sendable {
    public var spec: DirectorySpec
    public var ldap: DirectorySpec.LDAPOptions

    public init(spec: DirectorySpec, ldap: DirectorySpec.LDAPOptions = DirectorySpec.LDAPOptions()) {
        self.spec = spec
        self.ldap = ldap
    }
}
