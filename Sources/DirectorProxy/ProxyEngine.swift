/// Which forwarding engine carries a plain L4 TCP service's connections.
public enum ProxyEngine: String, Sendable, Hashable, CaseIterable {
    /// SwiftNIO channels (the default; every service kind).
    case nio
    /// The raw epoll engine (`EpollForwarder`): own threads, sockets and epoll, no NIO channels. Plain TCP, and
    /// plaintext mail services through an `EpollPreamble` (no HTTP rules, no TLS, no PROXY header accepted from
    /// a load balancer in front).
    case epoll
}
