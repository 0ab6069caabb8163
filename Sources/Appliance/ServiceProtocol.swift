/// The kind of node a pool holds.
public enum NodeRole: String, Sendable, Hashable, Codable, CaseIterable {
    case mail, web, cache

    /// The protocols a pool of this role serves, in the order the director's services default to.
    public var protocols: [ServiceProtocol] { ServiceProtocol.allCases.filter { $0.role == self } }
}

/// A protocol a virtual service of the director offers, and what a node of its role listens with.
public enum ServiceProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    case smtp, submission, imap, pop3, http, cache
    /// Webmail (and the admin site) of the mail nodes, behind an HTTPS VIP with cookie persistence.
    case webmail

    /// The role of the pool behind it.
    public var role: NodeRole {
        switch self {
        case .smtp, .submission, .imap, .pop3, .webmail: return .mail
        case .http: return .web
        case .cache: return .cache
        }
    }

    /// The port a node listens on, and the virtual service's port unless the spec says otherwise (unprivileged,
    /// so the loopback host needs no root).
    public var defaultPort: Int {
        switch self {
        case .smtp: return 2525
        case .submission: return 1587
        case .imap: return 1143
        case .pop3: return 1110
        case .http: return 8080
        case .cache: return 3128
        case .webmail: return 8443
        }
    }

    /// The director's health check of a node (a `CheckSpec` type).
    public var checkType: String {
        switch self {
        case .smtp, .submission: return "smtp"
        case .imap: return "imap"
        case .pop3: return "pop3"
        case .http: return "http"
        case .cache, .webmail: return "tcp"   // the HTTP check speaks no TLS; a webmail node's port must accept
        }
    }
}

/// Ports of the shared tier and of node-only listeners.
public enum ApplianceDefaultPort {
    public static let lmtp = 2424
    public static let ldap = 3389
    public static let icp = 3130
    public static let origin = 8000
    public static let admin = 9900
}
