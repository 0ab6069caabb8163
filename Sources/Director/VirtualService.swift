public import ShoalCore

/// The 14 IPVS scheduling algorithms, by their ipvsadm names.
public enum SchedulerName: String, Hashable, Sendable, CaseIterable {
    case rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos
}

/// Persistence (`-p`, `-M`): connections from one client network stick to one server through a template.
public struct Persistence: Hashable, Sendable {
    /// Template timeout in seconds (ipvsadm's default for a bare `-p` is 360).
    public var timeout: Int
    /// IPv4: the netmask as a 32-bit value; IPv6: the prefix length (as the kernel keeps it).
    public var netmask: UInt32

    public static let defaultTimeout = 360

    public init(timeout: Int = Persistence.defaultTimeout, netmask: UInt32) {
        self.timeout = timeout
        self.netmask = netmask
    }

    /// The client's network: its address masked by `netmask`.
    public func clientNetwork(_ address: IPAddress) -> IPAddress {
        switch address {
        case .v4: return address.masked(v4Netmask: netmask)
        case .v6: return address.masked(prefixLength: Int(netmask))
        }
    }
}

/// What an `-A`/`-E` rule sets on a virtual service.
public struct VirtualServiceConfig: Hashable, Sendable {
    public var key: VirtualServiceKey
    public var scheduler: SchedulerName = .wlc
    public var persistence: Persistence?
    /// `-M` given without `-p` is kept (ipvsadm sends it; the kernel ignores it unless persistent).
    public var netmask: UInt32
    public var onePacket = false
    public var schedulerFlags: SchedulerFlags = []
    /// `--pe NAME` (the kernel ships `sip`).
    public var persistenceEngine: String?

    public init(key: VirtualServiceKey, scheduler: SchedulerName = .wlc, persistence: Persistence? = nil,
                onePacket: Bool = false, schedulerFlags: SchedulerFlags = [], persistenceEngine: String? = nil) {
        self.key = key
        self.scheduler = scheduler
        self.persistence = persistence
        self.netmask = persistence?.netmask ?? PersistenceNetmask.defaultValue(for: key.family)
        self.onePacket = onePacket
        self.schedulerFlags = schedulerFlags
        self.persistenceEngine = persistenceEngine
    }
}

/// A virtual service: its configuration, its real servers in the kernel's list order, and its scheduler's state.
public struct VirtualService: Sendable {
    public internal(set) var config: VirtualServiceConfig
    /// The real servers in kernel list order: the newest `-a` first, as list_add_rcu puts it at the head.
    public internal(set) var servers: [RealServer] = []
    public internal(set) var stats = TrafficStats()
    var estimator = RateEstimator()
    /// Rates a kernel dataplane reported; they replace the estimator's when set.
    var observedRates: TrafficRates?
    var scheduler: any Scheduler
    var indexByID: [ServerID: Int] = [:]
    /// A number never reused, so connections can name the service they came through.
    let uid: Int

    init(uid: Int, config: VirtualServiceConfig, randomSeed: UInt64) {
        self.uid = uid
        self.config = config
        self.scheduler = makeScheduler(config.scheduler, flags: config.schedulerFlags, seed: randomSeed)
        scheduler.reset(servers: servers)
    }

    public var key: VirtualServiceKey { config.key }
    public var rates: TrafficRates { observedRates ?? estimator.rates }

    /// The index of the server with this endpoint in the kernel list.
    public func index(of endpoint: Endpoint) -> Int? { servers.firstIndex { $0.endpoint == endpoint } }

    /// The server with this identity, when it is in the list.
    public func server(_ id: ServerID) -> RealServer? { indexByID[id].map { servers[$0] } }

    mutating func rebuildIndex() {
        indexByID.removeAll(keepingCapacity: true)
        for (i, s) in servers.enumerated() { indexByID[s.id] = i }
    }

    /// Changes the service settings; a new scheduler starts from its initial state (ip_vs_edit_service).
    mutating func update(_ new: VirtualServiceConfig, randomSeed: UInt64) {
        let schedulerChanged = new.scheduler != config.scheduler
            || new.schedulerFlags.contains(.addressOnly) != config.schedulerFlags.contains(.addressOnly)
        config = new
        if schedulerChanged {
            scheduler = makeScheduler(new.scheduler, flags: new.schedulerFlags, seed: randomSeed)
            scheduler.reset(servers: servers)
        }
    }

    /// Puts a server at the head of the list and tells the scheduler (add_dest).
    mutating func insertAtHead(_ server: RealServer) {
        servers.insert(server, at: 0)
        rebuildIndex()
        scheduler.serverAdded(at: 0, servers: servers)
    }

    /// Puts servers at the head as if added one after another (`added` in add order, so the last ends up
    /// first), with one index rebuild and one scheduler step.
    mutating func insertAtHead(contentsOf added: [RealServer]) {
        servers.insert(contentsOf: added.reversed(), at: 0)
        rebuildIndex()
        scheduler.serversAddedAtHead(added.count, servers: servers)
    }

    /// Unlinks a server from the list and tells the scheduler (del_dest); returns it for the trash.
    mutating func remove(at index: Int) -> RealServer {
        var removed = servers.remove(at: index)
        removed.isAvailable = false
        rebuildIndex()
        scheduler.serverRemoved(at: index, servers: servers)
        return removed
    }

    /// Applies an edit to a listed server and tells the scheduler (upd_dest).
    mutating func updateServer(at index: Int, _ new: RealServerConfig) {
        servers[index].update(new)
        scheduler.serverUpdated(at: index, servers: servers)
    }

    /// Runs the scheduler for a new connection: the index of the chosen server, or nil.
    mutating func schedule(_ request: SchedulingRequest) -> Int? {
        scheduler.schedule(request, servers: servers, flags: config.schedulerFlags)
    }

    /// Changes a listed server's load and lets index-keeping schedulers follow.
    @inline(__always)
    mutating func changeLoad(at index: Int, _ body: (inout RealServer) -> Void) {
        body(&servers[index])
        scheduler.loadChanged(at: index, servers: servers)
    }
}
