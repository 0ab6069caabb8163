/// A tournament tree over list positions: each node keeps the leftmost best eligible server of its range.
///
/// The kernel's lc/wlc/sed/nq/fo/ovf scan the whole list and keep the first server that is strictly
/// better than the best so far: the leftmost server with the least cost, where every one of them
/// measures cost as a ratio `numerator / denominator` (see `IndexedRule`). The tree gives the same
/// answer from its root, and a change of one server's load costs O(log n) integer comparisons.
struct SelectionTree: Sendable {
    let rule: IndexedRule
    /// Per node (1-based heap layout, leaves from `leafBase`): the winner of its range with the winner's
    /// cost, so a step up the tree reads two siblings side by side (one cache line) and nothing else.
    private var nodes: [Node] = [.none, .none]
    private var leafBase = 1
    private var serverCount = 0

    /// A node's winner (index -1: no eligible server in its range) and the winner's cost as a fraction,
    /// compared by cross-multiplication as the kernel compares loads. 16 bytes (weights are 0...Int32.max).
    struct Node: Sendable, Equatable {
        var numerator: Int64
        var index: Int32
        var denominator: Int32

        static let none = Node(numerator: 0, index: -1, denominator: 1)
    }

    init(rule: IndexedRule) { self.rule = rule }

    /// The winner of the whole list, or nil when no server is eligible.
    var winner: Int? {
        let w = nodes[1].index
        return w < 0 ? nil : Int(w)
    }

    /// The winner of two subtrees: the right one only when it is strictly cheaper (ties keep the left).
    @inline(__always)
    private static func combine(_ l: Node, _ r: Node) -> Node {
        if l.index < 0 { return r }
        if r.index < 0 { return l }
        return l.numerator &* Int64(r.denominator) > r.numerator &* Int64(l.denominator) ? r : l
    }

    @inline(__always)
    private func leaf(_ servers: [RealServer], _ i: Int) -> Node {
        guard let (n, d) = rule.cost(of: servers, i) else { return .none }
        return Node(numerator: n, index: Int32(i), denominator: Int32(truncatingIfNeeded: d))
    }

    mutating func rebuild(_ servers: [RealServer]) {
        var base = 1
        while base < max(1, servers.count) { base <<= 1 }
        leafBase = base
        serverCount = servers.count
        nodes = Array(repeating: .none, count: 2 * base)
        for i in servers.indices { nodes[base + i] = leaf(servers, i) }
        nodes.withUnsafeMutableBufferPointer { n in
            var k = base - 1
            while k >= 1 {
                n[k] = Self.combine(n[2 * k], n[2 * k + 1])
                k -= 1
            }
        }
    }

    mutating func update(_ index: Int, _ servers: [RealServer]) {
        guard index < serverCount, servers.count == serverCount else { return rebuild(servers) }
        let leafNode = leaf(servers, index)
        nodes.withUnsafeMutableBufferPointer { n in
            var k = leafBase + index
            n[k] = leafNode
            k >>= 1
            while k >= 1 {
                let next = Self.combine(n[2 * k], n[2 * k + 1])
                // Above a node whose winner and cost are unchanged, nothing can change.
                if next == n[k] { return }
                n[k] = next
                k >>= 1
            }
        }
    }
}

/// The kernel's lc/wlc/sed/nq/fo/ovf choices, each written as "the first eligible server with the least
/// numerator/denominator", which is what the kernel's strict-improvement scans compute.
public enum IndexedRule: Sendable {
    /// ip_vs_lc.c: least overhead (active × 256 + inactive).
    case leastConnection
    /// ip_vs_wlc.c: least overhead / weight.
    case weightedLeastConnection
    /// ip_vs_sed.c: least (active + 1) / weight.
    case shortestExpectedDelay
    /// ip_vs_nq.c: an idle server first (cost 0), otherwise as sed.
    case neverQueue
    /// ip_vs_fo.c: the highest weight (cost 1 / weight).
    case weightedFailover
    /// ip_vs_ovf.c: the highest weight among servers whose active connections do not exceed their weight.
    case weightedOverflow

    /// The server's cost as a fraction, or nil when the rule skips it (overloaded or quiesced, and for
    /// ovf, busier than its weight).
    /// (Reads the fields in place: copying a whole `RealServer` per update costs more than the tree walk.)
    @inline(__always)
    func cost(of servers: [RealServer], _ i: Int) -> (Int64, Int64)? {
        let weight = servers[i].config.weight
        guard weight > 0, !servers[i].isOverloaded else { return nil }
        let w = Int64(weight)
        let active = servers[i].activeConnections
        switch self {
        case .leastConnection: return (Int64((active << 8) + servers[i].inactiveConnections), 1)
        case .weightedLeastConnection: return (Int64((active << 8) + servers[i].inactiveConnections), w)
        case .shortestExpectedDelay: return (Int64(active + 1), w)
        case .neverQueue: return (active == 0 ? 0 : Int64(active + 1), w)
        case .weightedFailover: return (1, w)
        case .weightedOverflow: return active <= weight ? (1, w) : nil
        }
    }
}

/// lc, wlc, sed, nq, fo and ovf: a `SelectionTree` kept up to date instead of a scan per decision.
public struct IndexedScheduler: Scheduler {
    var tree: SelectionTree

    public init(_ rule: IndexedRule) { tree = SelectionTree(rule: rule) }

    public mutating func reset(servers: [RealServer]) { tree.rebuild(servers) }
    public mutating func serverAdded(at index: Int, servers: [RealServer]) { tree.rebuild(servers) }
    /// Rebuilt from the final list once (the result of each add depends only on the list).
    public mutating func serversAddedAtHead(_ count: Int, servers: [RealServer]) { tree.rebuild(servers) }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) { tree.rebuild(servers) }
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) { tree.update(index, servers) }
    public mutating func loadChanged(at index: Int, servers: [RealServer]) { tree.update(index, servers) }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        tree.winner
    }
}
