/// The connection table proper: entries, their lookup indexes and timers — the part of a
/// `DirectorTable` that changes on every accept and close.
///
/// Kept in one stored property so that rule changes can stage a copy of the table without it (a
/// batch of rules never touches connections, so an admin change never copies them).
struct ConnectionStore: Sendable {
    var connections: [ConnectionID: Connection] = [:]
    var byTuple: [ConnectionTuple: ConnectionID] = [:]
    var templates: [TemplateKey: ConnectionID] = [:]
    var timers = TimerHeap()
    var nextConnectionID: UInt64 = 1
}
