/// A tournament tree over list positions: each node keeps the leftmost best eligible server of its range.
///
/// The kernel's lc/wlc/sed/nq/fo/ovf scan the whole list and keep the first server that is strictly
/// better than the best so far: the leftmost server with the least cost, where every one of them
/// measures cost as a ratio `numerator / denominator` (see `IndexedRule`). The tree gives the same
/// answer from its root, and a change of one server's load costs O(log n) integer comparisons.
struct SelectionTree: Sendable {
    let rule: IndexedRule
    /// Winner per node (1-based heap layout, leaves from `leafBase`); -1 when no eligible server.
    private var winners: [Int32] = [-1, -1]
    /// Per server: the cost fraction the rule assigns.
    private var costs: [Cost] = []
    private var leafBase = 1

    /// A cost as a fraction, compared by cross-multiplication as the kernel compares loads.
    struct Cost: Sendable {
        var numerator: Int64
        var denominator: Int64
    }

    init(rule: IndexedRule) { self.rule = rule }

    /// The winner of the whole list, or nil when no server is eligible.
    var winner: Int? {
        let w = winners[1]
        return w < 0 ? nil : Int(w)
    }

    /// The winner of two subtrees: the right one only when it is strictly cheaper (ties keep the left).
    @inline(__always)
    private static func combine(_ l: Int32, _ r: Int32, _ costs: UnsafeBufferPointer<Cost>) -> Int32 {
        if l < 0 { return r }
        if r < 0 { return l }
        let cl = costs[Int(l)], cr = costs[Int(r)]
        return cl.numerator &* cr.denominator > cr.numerator &* cl.denominator ? r : l
    }

    mutating func rebuild(_ servers: [RealServer]) {
        var base = 1
        while base < max(1, servers.count) { base <<= 1 }
        leafBase = base
        winners = Array(repeating: -1, count: 2 * base)
        costs = Array(repeating: Cost(numerator: 0, denominator: 1), count: servers.count)
        for i in servers.indices {
            if let (n, d) = rule.cost(of: servers, i) {
                costs[i] = Cost(numerator: n, denominator: d)
                winners[base + i] = Int32(i)
            }
        }
        costs.withUnsafeBufferPointer { c in
            var k = base - 1
            while k >= 1 {
                winners[k] = Self.combine(winners[2 * k], winners[2 * k + 1], c)
                k -= 1
            }
        }
    }

    mutating func update(_ index: Int, _ servers: [RealServer]) {
        guard index < costs.count, servers.count == costs.count else { return rebuild(servers) }
        let leaf = leafBase + index
        if let (n, d) = rule.cost(of: servers, index) {
            costs[index] = Cost(numerator: n, denominator: d)
            winners[leaf] = Int32(index)
        } else {
            winners[leaf] = -1
        }
        let changed = Int32(index)
        costs.withUnsafeBufferPointer { c in
            winners.withUnsafeMutableBufferPointer { w in
                var k = leaf >> 1
                while k >= 1 {
                    let previous = w[k]
                    let next = Self.combine(w[2 * k], w[2 * k + 1], c)
                    w[k] = next
                    // Above a node whose winner is unchanged and is not the server that changed, nothing can change.
                    if next == previous && next != changed { return }
                    k >>= 1
                }
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
