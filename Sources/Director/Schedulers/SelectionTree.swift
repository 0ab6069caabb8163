/// A tournament tree over list positions: each node keeps the leftmost best eligible server of its range.
///
/// The kernel's lc/wlc/sed/nq/fo/ovf scan the whole list and keep the first server that is strictly
/// better than the best so far, which is the leftmost best server under a total preorder. The tree
/// gives the same answer from its root, and a change of one server's load costs O(log n).
struct SelectionTree<Rule: SelectionRule>: Sendable {
    private var nodes: [Int32] = []
    private var leafBase = 1

    /// The winner of the whole list, or nil when no server is eligible.
    var winner: Int? {
        guard !nodes.isEmpty else { return nil }
        let w = nodes[1]
        return w < 0 ? nil : Int(w)
    }

    @inline(__always)
    private static func combine(_ l: Int32, _ r: Int32, _ servers: [RealServer]) -> Int32 {
        if l < 0 { return r }
        if r < 0 { return l }
        return Rule.isBetter(servers[Int(r)], than: servers[Int(l)]) ? r : l
    }

    mutating func rebuild(_ servers: [RealServer]) {
        var base = 1
        while base < max(1, servers.count) { base <<= 1 }
        leafBase = base
        nodes = Array(repeating: -1, count: 2 * base)
        for (i, s) in servers.enumerated() where Rule.isEligible(s) { nodes[base + i] = Int32(i) }
        var k = base - 1
        while k >= 1 {
            nodes[k] = Self.combine(nodes[2 * k], nodes[2 * k + 1], servers)
            k -= 1
        }
    }

    mutating func update(_ index: Int, _ servers: [RealServer]) {
        guard index < leafBase, nodes.count == 2 * leafBase else { return rebuild(servers) }
        var k = leafBase + index
        nodes[k] = Rule.isEligible(servers[index]) ? Int32(index) : -1
        k >>= 1
        while k >= 1 {
            let updated = Self.combine(nodes[2 * k], nodes[2 * k + 1], servers)
            nodes[k] = updated
            k >>= 1
        }
    }
}

/// A kernel scan written as an eligibility test and a strict "better than" order.
public protocol SelectionRule: Sendable {
    static func isEligible(_ server: RealServer) -> Bool
    /// True when `candidate` would replace `incumbent` in the kernel's scan.
    static func isBetter(_ candidate: RealServer, than incumbent: RealServer) -> Bool
}

/// A scheduler that keeps a `SelectionTree` up to date instead of scanning every server per decision.
public struct IndexedScheduler<Rule: SelectionRule>: Scheduler {
    var tree = SelectionTree<Rule>()

    public init() {}

    public mutating func reset(servers: [RealServer]) { tree.rebuild(servers) }
    public mutating func serverAdded(at index: Int, servers: [RealServer]) { tree.rebuild(servers) }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) { tree.rebuild(servers) }
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) { tree.update(index, servers) }
    public mutating func loadChanged(at index: Int, servers: [RealServer]) { tree.update(index, servers) }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        tree.winner
    }
}

/// lc (ip_vs_lc.c): least overhead (active × 256 + inactive); quiesced and overloaded servers skipped.
public struct LeastConnectionRule: SelectionRule {
    public static func isEligible(_ s: RealServer) -> Bool { s.isUsable }
    public static func isBetter(_ c: RealServer, than i: RealServer) -> Bool { c.overhead < i.overhead }
}

/// wlc (ip_vs_wlc.c): least overhead per unit of weight, compared by cross-multiplication.
public struct WeightedLeastConnectionRule: SelectionRule {
    public static func isEligible(_ s: RealServer) -> Bool { s.isUsable }
    public static func isBetter(_ c: RealServer, than i: RealServer) -> Bool {
        i.overhead * c.weight > c.overhead * i.weight
    }
}

/// sed (ip_vs_sed.c): least (active + 1) per unit of weight.
public struct ShortestExpectedDelayRule: SelectionRule {
    public static func isEligible(_ s: RealServer) -> Bool { s.isUsable }
    public static func isBetter(_ c: RealServer, than i: RealServer) -> Bool {
        (i.activeConnections + 1) * c.weight > (c.activeConnections + 1) * i.weight
    }
}

/// nq (ip_vs_nq.c): the first idle server (no active connections), else as sed.
public struct NeverQueueRule: SelectionRule {
    public static func isEligible(_ s: RealServer) -> Bool { s.isUsable }
    public static func isBetter(_ c: RealServer, than i: RealServer) -> Bool {
        if i.activeConnections == 0 { return false }
        if c.activeConnections == 0 { return true }
        return (i.activeConnections + 1) * c.weight > (c.activeConnections + 1) * i.weight
    }
}

/// fo (ip_vs_fo.c): the first server with the highest weight.
public struct WeightedFailoverRule: SelectionRule {
    public static func isEligible(_ s: RealServer) -> Bool { s.isUsable }
    public static func isBetter(_ c: RealServer, than i: RealServer) -> Bool { c.weight > i.weight }
}

/// ovf (ip_vs_ovf.c): the first highest-weight server whose active connections do not exceed its weight.
public struct WeightedOverflowRule: SelectionRule {
    public static func isEligible(_ s: RealServer) -> Bool { s.isUsable && s.activeConnections <= s.weight }
    public static func isBetter(_ c: RealServer, than i: RealServer) -> Bool { c.weight > i.weight }
}
