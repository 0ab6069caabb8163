/// The transport protocol of a virtual service or connection, numbered as IPPROTO_*.
public enum TransportProtocol: Int, Hashable, Sendable, Comparable, CaseIterable {
    /// IPPROTO_IP: what fwmark persistence templates carry.
    case ip = 0
    case tcp = 6
    case udp = 17
    case sctp = 132

    /// The name ipvsadm prints in listings: `TCP`, `UDP`, `SCTP` (and `IP` in connection lists).
    public var listingName: String {
        switch self {
        case .ip: return "IP"
        case .tcp: return "TCP"
        case .udp: return "UDP"
        case .sctp: return "SCTP"
        }
    }

    /// The option ipvsadm uses to name a service of this protocol.
    public var ruleOption: String {
        switch self {
        case .tcp: return "-t"
        case .udp: return "-u"
        case .sctp: return "--sctp-service"
        case .ip: return "--xxx-service"
        }
    }

    public static func < (a: TransportProtocol, b: TransportProtocol) -> Bool { a.rawValue < b.rawValue }
}
