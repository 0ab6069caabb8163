public import Director
public import HealthCheck
public import ShoalCore

/// What the admin API reads: the live table and the health of every checked server.
public struct DirectorSnapshot: Sendable {
    /// The live table; a running director hands out its services view (no connection entries, but
    /// their count): connections are read through `DirectorControl.connectionListing()`.
    public var table: DirectorTable
    /// The table as configured (weights before health checks adjust them), when it differs from `table`:
    /// edits start from it, so that a server down or at weight 0 for health reasons keeps its own weight.
    public var configured: DirectorTable?
    public var health: [HealthKey: ServerHealthReport]
    /// Wall-clock seconds since 1970 when the director started.
    public var startedAt: Double

    public init(table: DirectorTable, configured: DirectorTable? = nil, health: [HealthKey: ServerHealthReport] = [:], startedAt: Double) {
        self.table = table
        self.configured = configured
        self.health = health
        self.startedAt = startedAt
    }
}

/// The running director as the admin API sees it: read a snapshot, apply ipvsadm-style changes.
///
/// `apply` is all or nothing: when one command fails, nothing changes and the error says which.
/// Changes go to the director's desired configuration (health checks still decide whether a server
/// takes traffic), and established connections are never dropped by them.
public protocol DirectorControl: Sendable {
    func snapshot() async -> DirectorSnapshot
    func apply(_ commands: [IPVSCommand]) async throws(ConfigError)
    /// The connection table's entries (for `/api/connections` and `-L -n -c`).
    func connectionListing() async -> ConnectionListing
}

extension DirectorControl {
    /// The entries of the snapshot's table (for controls whose snapshot carries its connections).
    public func connectionListing() async -> ConnectionListing { await snapshot().table.connectionListing }
}
