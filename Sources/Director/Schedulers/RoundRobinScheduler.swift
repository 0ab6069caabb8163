/// rr (ip_vs_rr.c): the next usable server after the last one chosen, in list order, wrapping round.
public struct RoundRobinScheduler: Scheduler {
    /// The list position of the last server chosen; -1 is the list head.
    var last = -1

    public init() {}

    public mutating func reset(servers: [RealServer]) { last = -1 }

    public mutating func serverAdded(at index: Int, servers: [RealServer]) {
        // rr has no add_dest hook: the remembered entry keeps its identity, so it moves down one place.
        if last >= index { last += 1 }
    }

    public mutating func serverRemoved(at index: Int, servers: [RealServer]) {
        // ip_vs_rr_del_dest: when the remembered entry goes, remember its predecessor instead.
        if last == index { last = index - 1 } else if last > index { last -= 1 }
    }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let n = servers.count
        guard n > 0 else { return nil }
        var i = last
        for _ in 0..<n {
            i += 1
            if i == n { i = 0 }
            if servers[i].isUsable {
                last = i
                return i
            }
        }
        return nil
    }
}
