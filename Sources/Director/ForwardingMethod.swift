/// How packets reach a real server: NAT, direct routing, IP tunnelling, or the director itself.
public enum ForwardingMethod: Hashable, Sendable {
    case masquerade
    case route
    case tunnel
    case local

    /// The `Forward` column of `ipvsadm -L`.
    public var listingName: String {
        switch self {
        case .masquerade: return "Masq"
        case .route: return "Route"
        case .tunnel: return "Tunnel"
        case .local: return "Local"
        }
    }

    /// The switch `ipvsadm -S` writes (local nodes are saved as `-g`, as ipvsadm does).
    public var ruleSwitch: String {
        switch self {
        case .masquerade: return "-m"
        case .tunnel: return "-i"
        case .route, .local: return "-g"
        }
    }
}

/// Tunnel encapsulation of a tunnelling real server (`--tun-type`, `--tun-port`, checksum flags).
public struct TunnelInfo: Hashable, Sendable {
    /// The encapsulation: ipip (default), gue or gre.
    public enum Kind: String, Hashable, Sendable, CaseIterable { case ipip, gue, gre }
    /// Checksum handling: none (default), checksum, remote checksum.
    public enum Checksum: Int, Hashable, Sendable { case none = 0, checksum = 1, remote = 2 }

    public var kind: Kind = .ipip
    public var port: UInt16 = 0
    public var checksum: Checksum = .none

    public init(kind: Kind = .ipip, port: UInt16 = 0, checksum: Checksum = .none) {
        self.kind = kind
        self.port = port
        self.checksum = checksum
    }
}
