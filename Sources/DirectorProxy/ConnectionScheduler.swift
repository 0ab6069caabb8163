public import Director
public import ShoalCore

/// A real server chosen for one proxied connection, and its entry in the director's connection table.
public struct ProxyLease: Hashable, Sendable {
    /// The table entry (nil when the table keeps none, e.g. one-packet UDP scheduling).
    public var connection: ConnectionID?
    public var destination: Endpoint

    public init(connection: ConnectionID?, destination: Endpoint) {
        self.connection = connection
        self.destination = destination
    }
}

/// The Director core as a dataplane sees it: schedule a new connection, report its end and traffic.
///
/// Implementations are thread-safe and fast (called on event loops for every new connection).
public protocol ConnectionScheduler: AnyObject, Sendable {
    /// Chooses a real server for a new connection, skipping servers in `excluding` (ones that already
    /// refused this client's attempt). Nil when no server can take it.
    func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease?
    /// Gives back a lease whose server could not be reached: its table entry is removed at once.
    func abandon(_ lease: ProxyLease)
    /// Traffic seen on a live connection (bytes from the client, bytes to the client).
    func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64)
    /// The connection ended: its entry turns inactive and expires after the tcpfin timeout.
    func closed(_ lease: ProxyLease)
    /// True when `server` is in the service with this key and may take new connections now
    /// (used to honour a persistence cookie naming it).
    func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool
    /// Binds a connection to a named server of a service (cookie persistence), if it accepts.
    func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease?
}
