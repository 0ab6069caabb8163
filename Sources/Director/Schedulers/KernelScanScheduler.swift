/// The kernel's literal list scans for lc, wlc, sed, nq, fo and ovf, line for line.
///
/// Shoal schedules with `IndexedScheduler`; this reference is what the tests compare it with,
/// decision by decision, and what `make bench` measures it against.
public struct KernelScanScheduler: Scheduler {
    public let algorithm: SchedulerName

    public init(_ algorithm: SchedulerName) {
        precondition([.lc, .wlc, .sed, .nq, .fo, .ovf].contains(algorithm), "no kernel scan for \(algorithm)")
        self.algorithm = algorithm
    }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        switch algorithm {
        case .lc: return Self.lc(servers)
        case .wlc: return Self.weighted(servers) { $0.overhead }
        case .sed: return Self.weighted(servers) { $0.activeConnections + 1 }
        case .nq: return Self.nq(servers)
        case .fo: return Self.fo(servers)
        default: return Self.ovf(servers)
        }
    }

    /// ip_vs_lc_schedule.
    static func lc(_ servers: [RealServer]) -> Int? {
        var least: Int? = nil
        var loh = 0
        for (i, d) in servers.enumerated() {
            if d.isOverloaded || d.weight == 0 { continue }
            let doh = d.overhead
            if least == nil || doh < loh { least = i; loh = doh }
        }
        return least
    }

    /// ip_vs_wlc_schedule and ip_vs_sed_schedule: first usable server, then strictly smaller overhead/weight.
    static func weighted(_ servers: [RealServer], overhead: (RealServer) -> Int) -> Int? {
        guard let first = servers.firstIndex(where: { !$0.isOverloaded && $0.weight > 0 }) else { return nil }
        var least = first
        var loh = overhead(servers[first])
        for i in (first + 1)..<servers.count {
            let d = servers[i]
            if d.isOverloaded { continue }
            let doh = overhead(d)
            if loh * d.weight > doh * servers[least].weight { least = i; loh = doh }
        }
        return least
    }

    /// ip_vs_nq_schedule: an idle server is returned at once.
    static func nq(_ servers: [RealServer]) -> Int? {
        var least: Int? = nil
        var loh = 0
        for (i, d) in servers.enumerated() {
            if d.isOverloaded || d.weight == 0 { continue }
            let doh = d.activeConnections + 1
            if d.activeConnections == 0 { return i }
            if least == nil || loh * d.weight > doh * servers[least!].weight { least = i; loh = doh }
        }
        return least
    }

    /// ip_vs_fo_schedule.
    static func fo(_ servers: [RealServer]) -> Int? {
        var best: Int? = nil
        var hw = 0
        for (i, d) in servers.enumerated() where !d.isOverloaded && d.weight > hw {
            best = i
            hw = d.weight
        }
        return best
    }

    /// ip_vs_ovf_schedule.
    static func ovf(_ servers: [RealServer]) -> Int? {
        var h: Int? = nil
        for (i, d) in servers.enumerated() {
            let w = d.weight
            if d.isOverloaded || d.activeConnections > w || w == 0 { continue }
            if h == nil || w > servers[h!].weight { h = i }
        }
        return h
    }
}
