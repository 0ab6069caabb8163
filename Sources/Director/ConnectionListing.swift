/// The connection table's entries at one moment, oldest first, for `-L -n -c` and `/api/connections`:
/// an array of its own, so a reader never shares storage with the live table.
public struct ConnectionListing: Sendable {
    /// Every connection and template, oldest first.
    public var entries: [Connection]
    /// The table's time when the entries were taken (expiry times count from it).
    public var now: DirectorTime

    public init(entries: [Connection], now: DirectorTime) {
        self.entries = entries.sorted { $0.id < $1.id }
        self.now = now
    }
}

extension DirectorTable {
    /// The entries copied out into a listing (O(connections); sorting happens in the listing's init,
    /// which callers holding a lock around the table should run after taking `unsortedEntries`).
    public var connectionListing: ConnectionListing { ConnectionListing(entries: unsortedEntries, now: now) }

    /// Every entry in no particular order, in an array of its own.
    public var unsortedEntries: [Connection] { Array(connections.values) }
}
