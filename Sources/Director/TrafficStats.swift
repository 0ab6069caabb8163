/// Cumulative counters of a service or real server, as `ipvsadm -L --stats` shows them.
public struct TrafficStats: Hashable, Sendable {
    public var connections: UInt64 = 0
    public var inPackets: UInt64 = 0
    public var outPackets: UInt64 = 0
    public var inBytes: UInt64 = 0
    public var outBytes: UInt64 = 0

    public init() {}

    /// Adds traffic a dataplane observed.
    public mutating func record(inPackets: UInt64 = 0, outPackets: UInt64 = 0, inBytes: UInt64 = 0, outBytes: UInt64 = 0) {
        self.inPackets &+= inPackets
        self.outPackets &+= outPackets
        self.inBytes &+= inBytes
        self.outBytes &+= outBytes
    }

    /// Adds another set of counters field by field (wrapping, as the kernel's 64-bit counters do).
    public static func += (lhs: inout TrafficStats, rhs: TrafficStats) {
        lhs.connections &+= rhs.connections
        lhs.record(inPackets: rhs.inPackets, outPackets: rhs.outPackets, inBytes: rhs.inBytes, outBytes: rhs.outBytes)
    }
}

/// Smoothed rates of a service or real server, as `ipvsadm -L --rate` shows them.
public struct TrafficRates: Hashable, Sendable {
    public var connectionsPerSecond: UInt64 = 0
    public var inPacketsPerSecond: UInt64 = 0
    public var outPacketsPerSecond: UInt64 = 0
    public var inBytesPerSecond: UInt64 = 0
    public var outBytesPerSecond: UInt64 = 0
    public init() {}
}

/// The kernel's rate estimator (ip_vs_est.c): sampled every 2 s, smoothed with weight 1/4, fixed point.
public struct RateEstimator: Hashable, Sendable {
    var last = TrafficStats()
    var cps: Int64 = 0, inpps: Int64 = 0, outpps: Int64 = 0, inbps: Int64 = 0, outbps: Int64 = 0

    public init() {}

    /// One 2-second sample of the cumulative counters.
    public mutating func sample(_ now: TrafficStats) {
        func step(_ value: inout Int64, _ current: UInt64, _ previous: UInt64, shift: Int) {
            let rate = Int64(bitPattern: (current &- previous) << UInt64(shift))
            value += (rate - value) >> 2
        }
        step(&cps, now.connections, last.connections, shift: 9)
        step(&inpps, now.inPackets, last.inPackets, shift: 9)
        step(&outpps, now.outPackets, last.outPackets, shift: 9)
        step(&inbps, now.inBytes, last.inBytes, shift: 4)
        step(&outbps, now.outBytes, last.outBytes, shift: 4)
        last = now
    }

    /// The per-second rates, rounded as the kernel reads them out.
    public var rates: TrafficRates {
        var r = TrafficRates()
        r.connectionsPerSecond = UInt64(max(0, (cps + 0x1FF) >> 10))
        r.inPacketsPerSecond = UInt64(max(0, (inpps + 0x1FF) >> 10))
        r.outPacketsPerSecond = UInt64(max(0, (outpps + 0x1FF) >> 10))
        r.inBytesPerSecond = UInt64(max(0, (inbps + 0xF) >> 5))
        r.outBytesPerSecond = UInt64(max(0, (outbps + 0xF) >> 5))
        return r
    }
}
