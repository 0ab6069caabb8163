public import ShoalCore

/// What a scheduler may look at for one new connection.
public struct SchedulingRequest: Sendable {
    /// The client's address and port (sh and mh hash them).
    public var client: Endpoint
    /// The packet's destination (dh and lblc/lblcr key on its address).
    public var destination: Endpoint
    /// The time of the decision (lblc/lblcr age their entries).
    public var now: DirectorTime
    /// A key the hash schedulers (sh, mh) use instead of the client's address and port when set: a mail
    /// director keys the user name here, so every session of one user hashes alike from any address.
    public var affinityKey: UInt32?

    public init(client: Endpoint, destination: Endpoint, now: DirectorTime = .zero, affinityKey: UInt32? = nil) {
        self.client = client
        self.destination = destination
        self.now = now
        self.affinityKey = affinityKey
    }
}

/// One IPVS scheduling algorithm: kernel semantics, called with the service's server list in kernel order.
///
/// The hooks mirror `struct ip_vs_scheduler`: `reset` is init_service, then add_dest, del_dest and
/// upd_dest. `loadChanged` is Shoal's own: it lets a scheduler keep an index instead of scanning.
public protocol Scheduler: Sendable {
    /// init_service: start from nothing with the current list.
    mutating func reset(servers: [RealServer])
    /// add_dest: `servers[index]` was just inserted (always at the head).
    mutating func serverAdded(at index: Int, servers: [RealServer])
    /// `count` servers were added one after another at the head (so `servers[0..<count]` holds them, the last
    /// added first): the same state as `count` calls of `serverAdded(at: 0, ...)`, in one step.
    mutating func serversAddedAtHead(_ count: Int, servers: [RealServer])
    /// del_dest: the server that was at `index` was just unlinked.
    mutating func serverRemoved(at index: Int, servers: [RealServer])
    /// upd_dest: `servers[index]` was edited (weight, thresholds, forwarding).
    mutating func serverUpdated(at index: Int, servers: [RealServer])
    /// The counters or overload flag of `servers[index]` changed.
    mutating func loadChanged(at index: Int, servers: [RealServer])
    /// Picks a server for a new connection: an index into `servers`, or nil when none can take it.
    mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int?
}

extension Scheduler {
    public mutating func reset(servers: [RealServer]) {}
    public mutating func serverAdded(at index: Int, servers: [RealServer]) {}
    /// Schedulers whose add hook depends only on positions (or does nothing) repeat it; those that rebuild
    /// from the list, or keep history, do better.
    public mutating func serversAddedAtHead(_ count: Int, servers: [RealServer]) {
        for _ in 0..<count { serverAdded(at: 0, servers: servers) }
    }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) {}
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) {}
    public mutating func loadChanged(at index: Int, servers: [RealServer]) {}
}

/// A new scheduler of the named algorithm in its initial state.
public func makeScheduler(_ name: SchedulerName, flags: SchedulerFlags = [], seed: UInt64 = 0x5eed) -> any Scheduler {
    switch name {
    case .rr: return RoundRobinScheduler()
    case .wrr: return WeightedRoundRobinScheduler()
    case .lc: return IndexedScheduler(.leastConnection)
    case .wlc: return IndexedScheduler(.weightedLeastConnection)
    case .sed: return IndexedScheduler(.shortestExpectedDelay)
    case .nq: return IndexedScheduler(.neverQueue)
    case .fo: return IndexedScheduler(.weightedFailover)
    case .ovf: return IndexedScheduler(.weightedOverflow)
    case .lblc: return LocalityScheduler()
    case .lblcr: return ReplicatedLocalityScheduler()
    case .dh: return DestinationHashScheduler()
    case .sh: return SourceHashScheduler()
    case .mh: return MaglevScheduler(addressOnly: flags.contains(.addressOnly))
    case .twos: return TwoChoiceScheduler(seed: seed)
    }
}
