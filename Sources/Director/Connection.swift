public import ShoalCore

/// A connection table entry's identity, in creation order.
public struct ConnectionID: Hashable, Sendable, Comparable {
    public var rawValue: UInt64
    public static func < (a: ConnectionID, b: ConnectionID) -> Bool { a.rawValue < b.rawValue }
}

/// The protocol state of an entry, named as /proc/net/ip_vs_conn names it.
public enum ConnectionState: String, Hashable, Sendable {
    case established = "ESTABLISHED"
    case finWait = "FIN_WAIT"
    case udp = "UDP"
    /// A persistence template (IP_VS_CTPL_S_NONE).
    case template = "NONE"
}

/// One entry of the connection table: a client's connection, or a persistence template.
public struct Connection: Hashable, Sendable {
    public let id: ConnectionID
    public internal(set) var proto: TransportProtocol
    public internal(set) var client: Endpoint
    public internal(set) var virtual: Endpoint
    public internal(set) var destination: Endpoint
    public internal(set) var state: ConnectionState
    /// Counted as active (TCP established) rather than inactive.
    public internal(set) var isActive: Bool
    public internal(set) var expires: DirectorTime
    /// The timeout the timer is re-armed with (templates: their persistence timeout, then 60 s).
    public internal(set) var timeout: Int
    public var isTemplate: Bool { state == .template }
    /// The template this connection hangs off (persistent services).
    public internal(set) var controller: ConnectionID?
    /// How many connections hang off this template.
    public internal(set) var controlledCount = 0
    /// The service it was scheduled by and the server it is bound to.
    let serviceUID: Int
    let serverID: ServerID
    /// A scheduled end of the established phase (the trace's duration), if any.
    var activeUntil: DirectorTime?
    var templateKey: TemplateKey?
}

/// The lookup key of a connection: protocol, client and virtual endpoints.
struct ConnectionTuple: Hashable, Sendable {
    var proto: TransportProtocol
    var client: Endpoint
    var virtual: Endpoint
}

/// The lookup key of a persistence template: the service, and the client's masked network.
struct TemplateKey: Hashable, Sendable {
    var serviceUID: Int
    var clientNetwork: IPAddress
}
