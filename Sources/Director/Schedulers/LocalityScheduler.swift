import ShoalCore

/// Helpers shared by lblc and lblcr (ip_vs_lblc.c, ip_vs_lblcr.c).
enum Locality {
    /// sysctl lblc_expiration / lblcr_expiration: 24 hours.
    static let expiration = DirectorTime(seconds: 24 * 60 * 60)

    /// The wlc-style choice both use when their entry is missing or unusable.
    static func leastWeighted(_ servers: [RealServer]) -> Int? {
        KernelScanScheduler.weighted(servers) { $0.pointee.overhead }
    }

    /// is_overloaded: busier than its weight while some server is under half of its own.
    static func isOverloaded(_ server: RealServer, _ servers: [RealServer]) -> Bool {
        guard server.activeConnections > server.weight else { return false }
        return servers.contains { $0.activeConnections * 2 < $0.weight }
    }
}

/// lblc (ip_vs_lblc.c): locality-based least-connection; each destination address sticks to one server.
public struct LocalityScheduler: Scheduler {
    struct Entry: Sendable { var server: ServerID; var lastUse: DirectorTime }
    var table: [IPAddress: Entry] = [:]

    public init() {}

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let key = request.destination.address
        if var entry = table[key], request.now.microseconds - entry.lastUse.microseconds <= Locality.expiration.microseconds {
            entry.lastUse = request.now
            table[key] = entry
            if let i = servers.firstIndex(where: { $0.id == entry.server }) {
                let s = servers[i]
                if s.weight > 0 && !Locality.isOverloaded(s, servers) { return i }
            }
        }
        guard let chosen = Locality.leastWeighted(servers) else { return nil }
        table[key] = Entry(server: servers[chosen].id, lastUse: request.now)
        return chosen
    }
}

/// lblcr (ip_vs_lblcr.c): like lblc, but each destination address keeps a set of servers that grows under load.
public struct ReplicatedLocalityScheduler: Scheduler {
    struct Entry: Sendable {
        /// Newest first, as ip_vs_dest_set_insert adds at the head.
        var members: [ServerID]
        var lastUse: DirectorTime
        var lastModified: DirectorTime
    }
    var table: [IPAddress: Entry] = [:]

    public init() {}

    /// ip_vs_dest_set_min: the least loaded usable member by overhead/weight.
    static func setMin(_ members: [Int], _ servers: [RealServer]) -> Int? {
        var least: Int? = nil
        for i in members {
            let d = servers[i]
            if d.isOverloaded { continue }
            guard let l = least else {
                if d.weight > 0 { least = i }
                continue
            }
            if servers[l].overhead * d.weight > d.overhead * servers[l].weight { least = i }
        }
        return least
    }

    /// ip_vs_dest_set_max: the most loaded member with a positive weight.
    static func setMax(_ members: [Int], _ servers: [RealServer]) -> Int? {
        var most: Int? = nil
        for i in members {
            let d = servers[i]
            guard let m = most else {
                if d.weight > 0 { most = i }
                continue
            }
            if servers[m].overhead * d.weight < d.overhead * servers[m].weight && d.weight > 0 { most = i }
        }
        return most
    }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let key = request.destination.address
        let now = request.now
        if var entry = table[key], now.microseconds - entry.lastUse.microseconds <= Locality.expiration.microseconds {
            entry.lastUse = now
            // Members that left the service are unavailable; drop them from the set.
            entry.members.removeAll { id in !servers.contains { $0.id == id } }
            var positions = entry.members.compactMap { id in servers.firstIndex { $0.id == id } }
            let least = Self.setMin(positions, servers)
            if positions.count > 1 && now.microseconds > entry.lastModified.microseconds + Locality.expiration.microseconds,
               let m = Self.setMax(positions, servers) {
                entry.members.removeAll { $0 == servers[m].id }
                entry.lastModified = now
                positions.removeAll { $0 == m }
            }
            if let least, !Locality.isOverloaded(servers[least], servers) {
                table[key] = entry
                return least
            }
            guard let chosen = Locality.leastWeighted(servers) else {
                table[key] = entry
                return nil
            }
            if !entry.members.contains(servers[chosen].id) {
                entry.members.insert(servers[chosen].id, at: 0)
                entry.lastModified = now
            }
            table[key] = entry
            return chosen
        }
        guard let chosen = Locality.leastWeighted(servers) else { return nil }
        table[key] = Entry(members: [servers[chosen].id], lastUse: now, lastModified: now)
        return chosen
    }
}
