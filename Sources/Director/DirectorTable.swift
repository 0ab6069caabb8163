public import ShoalCore

/// The director's whole state, as the kernel's IPVS keeps it: services with their real servers and
/// schedulers, the connection table with persistence templates, timeouts, and the dest trash.
///
/// A value type: copying it is cheap until one copy changes, which is how a batch of rules is
/// applied all or nothing.
public struct DirectorTable: Sendable {
    /// Services in the order they were added.
    public internal(set) var services: [VirtualService] = []
    public internal(set) var timeouts = Timeouts()
    /// The seed random schedulers (twos) start from.
    public var randomSeed: UInt64 = 0x5eed

    var serviceIndex: [VirtualServiceKey: Int] = [:]
    var serviceByUID: [Int: Int] = [:]
    /// Deleted servers that connections or templates still reference (ipvs->dest_trash).
    var trash: [ServerID: (service: VirtualServiceKey, server: RealServer)] = [:]
    /// Connections, templates, their indexes and timers (changed on every accept and close).
    var store = ConnectionStore()
    /// Entries a services view left out (see `servicesView`); 0 in a full table.
    var omittedEntries = 0
    var nextServiceUID = 1
    var nextServerID: UInt32 = 1
    /// The latest time the table has been advanced to.
    public internal(set) var now = DirectorTime.zero

    public init(timeouts: Timeouts = Timeouts()) { self.timeouts = timeouts }

    // MARK: Reading

    /// The service with this key.
    public func service(_ key: VirtualServiceKey) -> VirtualService? { serviceIndex[key].map { services[$0] } }

    /// Every connection and template, oldest first (none in a services view).
    public var connectionEntries: [Connection] { connections.values.sorted { $0.id < $1.id } }

    /// How many entries the connection table holds (templates included; a services view remembers the count).
    public var connectionCount: Int { connections.count + omittedEntries }

    /// The table without its connection entries: services, servers with their counters, timeouts, and
    /// the entry count. Copying it costs O(services + servers), never O(connections), and it shares no
    /// storage with the connection table, so a reader holding it never makes the next accept copy that.
    public var servicesView: DirectorTable {
        var view = self
        view.store = ConnectionStore()
        view.omittedEntries = connectionCount
        return view
    }

    /// A connection by its identity.
    public func connection(_ id: ConnectionID) -> Connection? { connections[id] }

    // MARK: Rules

    /// Applies one table-changing command; a failure leaves the table unchanged.
    public mutating func apply(_ command: IPVSCommand) throws(ConfigError) {
        switch command {
        case let .addService(config): try addService(config)
        case let .editService(config): try editService(config)
        case let .deleteService(key): try deleteService(key)
        case .flush: for key in services.map(\.key) { try deleteService(key) }
        case let .zero(key): try zero(key)
        case let .addServer(key, config): try addServer(key, config)
        case let .editServer(key, config): try editServer(key, config)
        case let .deleteServer(key, endpoint): try deleteServer(key, endpoint)
        case let .setTimeouts(tcp, tcpFin, udp): timeouts.set(tcp: tcp, tcpFin: tcpFin, udp: udp)
        case .list, .save, .restore:
            throw ConfigError("this command does not change the table")
        case .syncDaemon:
            throw ConfigError("connection synchronisation daemons are not part of the director core")
        }
    }

    /// Applies commands in order, all or nothing: on the first failure the table is left as it was
    /// and the error names the failing line.
    ///
    /// Only the rules are staged on a copy: the connection table is moved aside while the batch runs
    /// (rule commands never touch it) and moved back, so a batch costs O(services + servers).
    public mutating func apply(batch: [(line: Int, command: IPVSCommand)], file: String? = nil) throws(ConfigError) {
        var connectionTable = ConnectionStore()
        swap(&connectionTable, &store)
        defer { swap(&connectionTable, &store) }
        var copy = self
        var index = batch.startIndex
        while index < batch.endIndex {
            // A run of servers added to one service goes in as one step: loading n servers costs O(n), not O(n²).
            if case let .addServer(key, _) = batch[index].command {
                var end = index + 1
                while end < batch.endIndex, case .addServer(key, _) = batch[end].command { end += 1 }
                if end - index > 1 {
                    try copy.addServers(key, batch[index..<end], file: file)
                    index = end
                    continue
                }
            }
            do {
                try copy.apply(batch[index].command)
            } catch {
                throw error.located(file: file, line: batch[index].line)
            }
            index += 1
        }
        self = copy
    }

    mutating func addService(_ config: VirtualServiceConfig) throws(ConfigError) {
        guard serviceIndex[config.key] == nil else { throw ConfigError(field: config.key.ruleText, "Service already exists") }
        let uid = nextServiceUID
        nextServiceUID += 1
        services.append(VirtualService(uid: uid, config: config, randomSeed: randomSeed &+ UInt64(uid)))
        rebuildServiceIndex()
    }

    mutating func editService(_ config: VirtualServiceConfig) throws(ConfigError) {
        guard let i = serviceIndex[config.key] else { throw ConfigError(field: config.key.ruleText, "No such service") }
        services[i].update(config, randomSeed: randomSeed &+ UInt64(services[i].uid))
    }

    mutating func deleteService(_ key: VirtualServiceKey) throws(ConfigError) {
        guard let i = serviceIndex[key] else { throw ConfigError(field: key.ruleText, "No such service") }
        for var server in services[i].servers {
            server.isAvailable = false
            if server.isReferenced { trash[server.id] = (key, server) }
        }
        services.remove(at: i)
        rebuildServiceIndex()
    }

    mutating func zero(_ key: VirtualServiceKey?) throws(ConfigError) {
        var targets: [Int]
        if let key {
            guard let i = serviceIndex[key] else { throw ConfigError(field: key.ruleText, "No such service") }
            targets = [i]
        } else {
            targets = Array(services.indices)
        }
        for i in targets {
            services[i].stats = TrafficStats()
            services[i].estimator = RateEstimator()
            for j in services[i].servers.indices {
                services[i].servers[j].stats = TrafficStats()
                services[i].servers[j].estimator = RateEstimator()
            }
        }
    }

    /// The kernel's check of a server's settings, with ipvsadm's option as the field.
    static func validate(_ config: RealServerConfig) throws(ConfigError) {
        do {
            try config.validate()
        } catch {
            let field = switch error.setting {
            case .weight: "-w"
            case .upperThreshold: "-x"
            case .lowerThreshold: "-y"
            }
            throw ConfigError(field: field, error.message)
        }
    }

    mutating func addServer(_ key: VirtualServiceKey, _ config: RealServerConfig) throws(ConfigError) {
        guard let i = serviceIndex[key] else { throw ConfigError(field: key.ruleText, "Service not defined") }
        try Self.validate(config)
        guard services[i].index(of: config.endpoint) == nil else {
            throw ConfigError(field: "-r \(config.endpoint)", "Destination already exists")
        }
        services[i].insertAtHead(takeServer(key, config))
    }

    /// The server an add puts in the list: out of the trash with its counters when a deleted one still has
    /// connections (ip_vs_trash_get_dest), else a new one.
    private mutating func takeServer(_ key: VirtualServiceKey, _ config: RealServerConfig) -> RealServer {
        var server: RealServer
        if let (id, entry) = trash.first(where: { $0.value.service == key && $0.value.server.endpoint == config.endpoint }) {
            trash[id] = nil
            server = entry.server
            server.update(config)
            server.lastWeight = config.weight
        } else {
            server = RealServer(id: ServerID(nextServerID), config: config)
            nextServerID += 1
        }
        server.isAvailable = true
        return server
    }

    /// `addServer` for a run of commands on one service, with the same checks and errors (each naming its
    /// line) and the same resulting list and scheduler state, in one list change.
    mutating func addServers(_ key: VirtualServiceKey, _ run: ArraySlice<(line: Int, command: IPVSCommand)>,
                             file: String?) throws(ConfigError) {
        guard let i = serviceIndex[key] else {
            throw ConfigError(field: key.ruleText, "Service not defined").located(file: file, line: run.first?.line)
        }
        var endpoints = Set(services[i].servers.map(\.endpoint))
        var added: [RealServer] = []
        for (line, command) in run {
            guard case let .addServer(_, config) = command else { continue }
            do throws(ConfigError) {
                try Self.validate(config)
                guard endpoints.insert(config.endpoint).inserted else {
                    throw ConfigError(field: "-r \(config.endpoint)", "Destination already exists")
                }
            } catch {
                throw error.located(file: file, line: line)
            }
            added.append(takeServer(key, config))
        }
        services[i].insertAtHead(contentsOf: added)
    }

    mutating func editServer(_ key: VirtualServiceKey, _ config: RealServerConfig) throws(ConfigError) {
        guard let i = serviceIndex[key] else { throw ConfigError(field: key.ruleText, "Service not defined") }
        try Self.validate(config)
        guard let j = services[i].index(of: config.endpoint) else {
            throw ConfigError(field: "-r \(config.endpoint)", "No such destination")
        }
        services[i].updateServer(at: j, config)
    }

    mutating func deleteServer(_ key: VirtualServiceKey, _ endpoint: Endpoint) throws(ConfigError) {
        guard let i = serviceIndex[key] else { throw ConfigError(field: key.ruleText, "Service not defined") }
        guard let j = services[i].index(of: endpoint) else {
            throw ConfigError(field: "-r \(endpoint)", "No such destination")
        }
        let removed = services[i].remove(at: j)
        if removed.isReferenced { trash[removed.id] = (key, removed) }
    }

    mutating func rebuildServiceIndex() {
        serviceIndex.removeAll(keepingCapacity: true)
        serviceByUID.removeAll(keepingCapacity: true)
        for (i, s) in services.enumerated() {
            serviceIndex[s.key] = i
            serviceByUID[s.uid] = i
        }
    }

    // MARK: Connection storage

    var connections: [ConnectionID: Connection] {
        get { store.connections }
        _modify { yield &store.connections }
    }
    var byTuple: [ConnectionTuple: ConnectionID] {
        get { store.byTuple }
        _modify { yield &store.byTuple }
    }
    var templates: [TemplateKey: ConnectionID] {
        get { store.templates }
        _modify { yield &store.templates }
    }
    var timers: TimerHeap {
        get { store.timers }
        _modify { yield &store.timers }
    }
    var nextConnectionID: UInt64 {
        get { store.nextConnectionID }
        _modify { yield &store.nextConnectionID }
    }

    // MARK: Load bookkeeping

    /// Changes the counters of a server, wherever it is: in its service's list, or in the trash.
    mutating func changeLoad(service uid: Int, server id: ServerID, _ body: (inout RealServer) -> Void) {
        if let si = serviceByUID[uid], let index = services[si].indexByID[id] {
            services[si].changeLoad(at: index, body)
        } else if var entry = trash[id] {
            body(&entry.server)
            trash[id] = entry.server.isReferenced ? entry : nil
        }
    }

    /// The real server a connection or template is bound to, if it is still listed.
    func listedServer(service uid: Int, server id: ServerID) -> RealServer? {
        guard let si = serviceByUID[uid] else { return nil }
        return services[si].server(id)
    }
}
