/// twos (ip_vs_twos.c): power of two choices, two weighted random picks, the less loaded per weight wins.
public struct TwoChoiceScheduler: Scheduler {
    var random: SplitMix64

    public init(seed: UInt64 = 0x5eed) { random = SplitMix64(seed: seed) }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        var total = 0
        var any = false
        for s in servers where s.isUsable {
            total += s.weight
            any = true
        }
        guard any else { return nil }
        total += 1
        var r1 = Int(UInt32(truncatingIfNeeded: random.next()) % UInt32(total))
        var r2 = Int(UInt32(truncatingIfNeeded: random.next()) % UInt32(total))
        var c1: Int? = nil, c2: Int? = nil
        var w1 = -1, w2 = -1, o1 = 0, o2 = 0
        for (i, s) in servers.enumerated() where s.isUsable {
            r1 -= s.weight
            r2 -= s.weight
            if r1 <= 0 && w1 == -1 { c1 = i; w1 = s.weight; o1 = s.overhead }
            if r2 <= 0 && w2 == -1 { c2 = i; w2 = s.weight; o2 = s.overhead }
            if w1 != -1 && w2 != -1 { break }
        }
        // The last usable server stands in when rounding leaves a pick unset (choice1's initial value).
        if c1 == nil { c1 = servers.lastIndex { $0.isUsable } }
        if let c2, w2 * o1 > w1 * o2 { return c2 }
        return c1
    }
}

/// A small, fast, seedable generator so that random schedulers replay identically.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
