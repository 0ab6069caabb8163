/// wrr (ip_vs_wrr.c): interleaved weighted round robin stepping the current weight down by the gcd.
public struct WeightedRoundRobinScheduler: Scheduler {
    /// mark->cl: list position of the current server; -1 is the list head.
    var current = -1
    /// mark->cw: the current weight.
    var currentWeight = 0
    /// mark->mw: the maximum weight less (gcd - 1).
    var maxWeight = 0
    /// mark->di: the decreasing interval, the gcd of the positive weights.
    var step = 1

    public init() {}

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    static func weightGCD(_ servers: [RealServer]) -> Int {
        var g = 0
        for s in servers where s.weight > 0 { g = g > 0 ? gcd(s.weight, g) : s.weight }
        return g > 0 ? g : 1
    }

    public mutating func reset(servers: [RealServer]) {
        current = -1
        step = Self.weightGCD(servers)
        maxWeight = (servers.map(\.weight).max() ?? 0) - (step - 1)
        currentWeight = maxWeight
    }

    /// ip_vs_wrr_dest_changed: back to the head, new gcd and maximum, current weight clamped.
    mutating func destinationsChanged(_ servers: [RealServer]) {
        current = -1
        step = Self.weightGCD(servers)
        maxWeight = (servers.map(\.weight).max() ?? 0) - (step - 1)
        if currentWeight > maxWeight || currentWeight == 0 {
            currentWeight = maxWeight
        } else if step > 1 {
            currentWeight = (currentWeight / step) * step + 1
        }
    }

    public mutating func serverAdded(at index: Int, servers: [RealServer]) { destinationsChanged(servers) }

    /// The adds one by one, as the kernel runs them, with the gcd and maximum kept as running values instead
    /// of rescanning the list each time: O(servers) for the whole batch.
    public mutating func serversAddedAtHead(_ count: Int, servers: [RealServer]) {
        var g = 0, m = 0
        for s in servers[count...] {
            if s.weight > 0 { g = g > 0 ? Self.gcd(s.weight, g) : s.weight }
            m = max(m, s.weight)
        }
        for j in stride(from: count - 1, through: 0, by: -1) {
            let w = servers[j].weight
            if w > 0 { g = g > 0 ? Self.gcd(w, g) : w }
            m = max(m, w)
            current = -1
            step = g > 0 ? g : 1
            maxWeight = m - (step - 1)
            if currentWeight > maxWeight || currentWeight == 0 {
                currentWeight = maxWeight
            } else if step > 1 {
                currentWeight = (currentWeight / step) * step + 1
            }
        }
    }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) { destinationsChanged(servers) }
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) { destinationsChanged(servers) }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let n = servers.count
        guard maxWeight > 0 else { return nil }  // err_noavail
        let last = current
        var stop: Int? = nil
        var lastPass = false
        var restarted = false
        var i = current
        while true {
            // list_for_each_entry_continue: from the entry after i up to the end of the list.
            i += 1
            while i < n {
                let s = servers[i]
                if !s.isOverloaded && s.weight >= currentWeight {
                    current = i
                    return i
                }
                if i == stop {
                    current = i
                    return nil  // err_over
                }
                i += 1
            }
            i = -1  // back at the head
            currentWeight -= step
            if currentWeight <= 0 {
                currentWeight = maxWeight
                if lastPass || last == -1 {
                    current = -1
                    return nil  // err_over
                }
                restarted = true
            }
            lastPass = currentWeight <= step
            if lastPass && restarted && last != -1 {
                restarted = false
                stop = last
            }
        }
    }
}
