public import NIOCore

/// How a proxied service reaches its real servers and how long it waits for them and for clients.
public struct ProxySettings: Sendable, Hashable {
    /// How long to wait for a real server to accept before trying the next choice.
    public var connectTimeout: TimeAmount = .seconds(3)
    /// A connection with no traffic either way for this long is closed.
    public var idleTimeout: TimeAmount = .seconds(300)
    /// A UDP flow with no datagram either way for this long is forgotten (IPVS's udp timeout).
    public var udpTimeout: TimeAmount = .seconds(300)
    /// How many servers to try for one client before giving up.
    public var maxAttempts: Int = 4
    /// Send a PROXY protocol header with the client's address to the real server.
    public var sendProxyProtocol: ProxyProtocolVersion?
    /// Expect a PROXY protocol header from a load balancer in front, and use the client it names.
    public var acceptProxyProtocol = false
    /// The forwarding engine of a plain TCP service (`engine:` in the service's YAML).
    public var engine = ProxyEngine.nio

    public init() {}
}
