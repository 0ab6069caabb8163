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
        case .wlc: return Self.weighted(servers) { $0.pointee.overhead }
        case .sed: return Self.weighted(servers) { $0.pointee.activeConnections + 1 }
        case .nq: return Self.nq(servers)
        case .fo: return Self.fo(servers)
        default: return Self.ovf(servers)
        }
    }

    // The scans read fields in place through the buffer, as the kernel reads each dest struct.

    /// ip_vs_lc_schedule.
    static func lc(_ servers: [RealServer]) -> Int? {
        servers.withUnsafeBufferPointer { d in
            var least: Int? = nil
            var loh = 0
            for i in d.indices {
                if d[i].isOverloaded || d[i].config.weight == 0 { continue }
                let doh = d[i].overhead
                if least == nil || doh < loh { least = i; loh = doh }
            }
            return least
        }
    }

    /// ip_vs_wlc_schedule and ip_vs_sed_schedule: first usable server, then strictly smaller overhead/weight.
    static func weighted(_ servers: [RealServer], overhead: (UnsafePointer<RealServer>) -> Int) -> Int? {
        servers.withUnsafeBufferPointer { d in
            guard let base = d.baseAddress else { return nil }
            var i = 0
            while i < d.count && (d[i].isOverloaded || d[i].config.weight <= 0) { i += 1 }
            guard i < d.count else { return nil }
            var least = i
            var loh = overhead(base + i)
            i += 1
            while i < d.count {
                if !d[i].isOverloaded {
                    let doh = overhead(base + i)
                    if loh * d[i].config.weight > doh * d[least].config.weight { least = i; loh = doh }
                }
                i += 1
            }
            return least
        }
    }

    /// ip_vs_nq_schedule: an idle server is returned at once.
    static func nq(_ servers: [RealServer]) -> Int? {
        servers.withUnsafeBufferPointer { d in
            var least: Int? = nil
            var loh = 0
            for i in d.indices {
                if d[i].isOverloaded || d[i].config.weight == 0 { continue }
                let doh = d[i].activeConnections + 1
                if d[i].activeConnections == 0 { return i }
                if least == nil || loh * d[i].config.weight > doh * d[least!].config.weight { least = i; loh = doh }
            }
            return least
        }
    }

    /// ip_vs_fo_schedule.
    static func fo(_ servers: [RealServer]) -> Int? {
        servers.withUnsafeBufferPointer { d in
            var best: Int? = nil
            var hw = 0
            for i in d.indices where !d[i].isOverloaded && d[i].config.weight > hw {
                best = i
                hw = d[i].config.weight
            }
            return best
        }
    }

    /// ip_vs_ovf_schedule.
    static func ovf(_ servers: [RealServer]) -> Int? {
        servers.withUnsafeBufferPointer { d in
            var h: Int? = nil
            for i in d.indices {
                let w = d[i].config.weight
                if d[i].isOverloaded || d[i].activeConnections > w || w == 0 { continue }
                if h == nil || w > d[h!].config.weight { h = i }
            }
            return h
        }
    }
}
