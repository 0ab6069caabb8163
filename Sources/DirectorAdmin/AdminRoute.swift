public import NIOHTTP1

/// The admin API's routes, read from a request path (segments still percent-encoded).
public enum AdminRoute: Hashable, Sendable {
    /// `/` and `/status`: the HTML status page.
    case statusPage
    /// `/metrics`: Prometheus text exposition.
    case metrics
    /// `/api/services`.
    case services
    /// `/api/services/{id}`.
    case service(String)
    /// `/api/services/{id}/servers`.
    case servers(String)
    /// `/api/services/{id}/servers/{server}`.
    case server(String, String)
    /// `/api/services/{id}/servers/{server}/drain`.
    case drain(String, String)
    /// `/api/stats`.
    case stats
    /// `/api/connections`.
    case connections
    /// `/api/ipvsadm`.
    case ipvsadm
    /// `/api/mail/who/{user}`: which node serves a user in each mail proxy service.
    case mailWho(String)
    /// `/api/mail/stats`: logins proxied per node, refused, unavailable; sessions per node.
    case mailStats
    /// `/api/failover`: every VRRP instance's state, priority, master and counters.
    case failover

    /// The route of a path, or nil (404). A trailing slash is ignored.
    public init?(path: String) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard path.hasPrefix("/"), !path.contains("//") else { return nil }
        if segments.count > 1, segments.last == "" { segments.removeLast() }
        switch segments {
        case [""], ["status"]: self = .statusPage
        case ["metrics"]: self = .metrics
        case ["api", "services"]: self = .services
        case ["api", "stats"]: self = .stats
        case ["api", "connections"]: self = .connections
        case ["api", "ipvsadm"]: self = .ipvsadm
        case ["api", "mail", "stats"]: self = .mailStats
        case ["api", "failover"]: self = .failover
        case let s where s.count == 4 && s[0] == "api" && s[1] == "mail" && s[2] == "who" && !s[3].isEmpty: self = .mailWho(s[3])
        default:
            guard segments.count >= 3, segments[0] == "api", segments[1] == "services", !segments[2].isEmpty else { return nil }
            let id = segments[2]
            switch Array(segments.dropFirst(3)) {
            case []: self = .service(id)
            case ["servers"]: self = .servers(id)
            case let s where s.count == 2 && s[0] == "servers" && !s[1].isEmpty: self = .server(id, s[1])
            case let s where s.count == 3 && s[0] == "servers" && !s[1].isEmpty && s[2] == "drain": self = .drain(id, s[1])
            default: return nil
            }
        }
    }

    /// The methods this route answers (HEAD is answered wherever GET is).
    public var allowedMethods: [HTTPMethod] {
        switch self {
        case .statusPage, .metrics, .stats, .connections, .mailWho, .mailStats, .failover: return [.GET]
        case .services: return [.GET, .POST]
        case .service: return [.GET, .PATCH, .DELETE]
        case .servers: return [.GET, .POST]
        case .server: return [.GET, .PATCH, .DELETE]
        case .drain, .ipvsadm: return [.POST]
        }
    }
}
