public import Director
public import ShoalCore
public import ShoalServer

/// Where a request goes: the HTTP service's own pool, or a named pool with its director service key.
public enum HTTPRoute: Hashable, Sendable {
    case defaultPool
    case pool(name: String, key: VirtualServiceKey)

    /// The director service that schedules it; the default pool is the service's own `-t VIP` key.
    public func serviceKey(virtual: Endpoint) -> VirtualServiceKey {
        switch self {
        case .defaultPool: return .address(.tcp, virtual)
        case let .pool(_, key): return key
        }
    }

    /// The scheduling request for a client of the service at `virtual`.
    public func connectionRequest(client: Endpoint, virtual: Endpoint) -> ConnectionRequest {
        switch serviceKey(virtual: virtual) {
        case let .address(_, endpoint):
            return ConnectionRequest(proto: .tcp, client: client, virtual: endpoint)
        case let .fwmark(mark, _):
            return ConnectionRequest(proto: .tcp, client: client, virtual: virtual, fwmark: mark)
        }
    }
}

/// An L7 HTTP service: routing rules tried in order, cookie persistence, forwarding headers and limits.
public struct HTTPServiceConfig: Sendable {
    public var rules: [HTTPRouteRule]
    /// Pool names to director service keys (every rule's pool is one of them).
    public var pools: [String: VirtualServiceKey]
    /// Where requests no rule matches go: nil for the service's own pool.
    public var defaultPool: String?
    /// The persistence cookie's name (e.g. `SHOALSRV`), or nil for none.
    public var cookie: String?
    /// Add X-Forwarded-For, Forwarded and X-Forwarded-Proto to requests.
    public var forwardedFor: Bool
    /// The largest request head accepted (bytes of header names and values).
    public var maximumHeaderBytes: Int
    /// TLS terminated at the director (HTTPS VIP), or nil for plain HTTP. The context is read from its
    /// files when the configuration is parsed, so a reload with a bad certificate fails and changes nothing.
    public var tls: TLSContextSource?
    /// TLS from the director to the nodes, or nil for plain HTTP to them.
    public var nodeTLS: NodeTLS?

    /// The scheme clients use (`https` when the director terminates TLS): X-Forwarded-Proto and Forwarded.
    public var clientScheme: String { tls == nil ? "http" : "https" }

    public init(rules: [HTTPRouteRule] = [], pools: [String: VirtualServiceKey] = [:], defaultPool: String? = nil,
                cookie: String? = nil, forwardedFor: Bool = true, maximumHeaderBytes: Int = 32 * 1024) {
        self.rules = rules
        self.pools = pools
        self.defaultPool = defaultPool
        self.cookie = cookie
        self.forwardedFor = forwardedFor
        self.maximumHeaderBytes = maximumHeaderBytes
    }

    /// The route of a request: the first rule that matches, else the default pool.
    public func route(_ request: HTTPRequestFacts) -> HTTPRoute {
        for rule in rules where rule.matches(request) {
            if let key = pools[rule.pool] { return .pool(name: rule.pool, key: key) }
        }
        if let name = defaultPool, let key = pools[name] { return .pool(name: name, key: key) }
        return .defaultPool
    }
}
