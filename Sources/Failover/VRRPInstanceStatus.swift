public import ShoalCore

/// What one instance shows on the admin API, the status page and `/metrics`.
public struct VRRPInstanceStatus: Hashable, Sendable {
    public var name: String
    public var interface: String
    public var virtualRouterID: UInt8
    public var state: VRRPState
    public var configuredPriority: UInt8
    public var priority: UInt8
    /// The current master's address as last heard (Backup), or this router's own source (Master).
    public var masterAddress: IPAddress?
    public var virtualAddresses: [String]
    /// Entries into each state since start.
    public var transitions: [VRRPState: Int] = [:]
    public var advertisementsSent = 0
    public var advertisementsReceived = 0
    /// Received packets dropped, by `VRRPDecodingError.reason` (plus "peer" for a source not among unicast peers).
    public var dropped: [String: Int] = [:]
    public var lastError: String?
}
