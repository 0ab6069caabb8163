import NIOConcurrencyHelpers
public import ShoalCore

/// A cache farm partitioned by CARP: which member's HTTP port a miss goes to, which members are skipped after
/// a failed fetch, and which requests already came through a member (those go to the origin: one hop at most).
public final class CARPRouter: Sendable {
    /// One member as configured.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var http: Endpoint
        public var weight: Int

        public init(name: String, http: Endpoint, weight: Int) {
            self.name = name
            self.http = http
            self.weight = weight
        }
    }

    public let members: [Member]
    public let array: CARPArray
    /// This node's index among the members (nil: a front that routes every URL to a member).
    public let selfIndex: Int?
    /// Seconds a member whose fetch failed is passed over.
    public let downSeconds: Int64
    /// Whether objects fetched from their owner are stored here too (off: each object is kept once in the farm).
    public let keepsOthers: Bool
    /// `Via` entries a member adds (`1.1 NAME (shoal)`), to recognise requests that already made their hop.
    let viaMarks: [String]
    let downUntil: NIOLockedValueBox<[Int64]>

    public init(members: [Member], selfName: String, downSeconds: Int64 = 10, keepsOthers: Bool = false) {
        self.keepsOthers = keepsOthers
        self.members = members
        array = CARPArray(members.map { ($0.name, $0.weight) })
        selfIndex = members.firstIndex { $0.name == selfName }
        self.downSeconds = downSeconds
        viaMarks = members.map { "1.1 \($0.name) (shoal)" }
        downUntil = NIOLockedValueBox(Array(repeating: 0, count: members.count))
    }

    /// Where a miss for `url` goes: the members to try in turn (the owner first, then whom its URLs fall to),
    /// empty when this node owns the URL or every member is down — then the origin.
    public func route(_ url: String, now: Int64) -> [Int] {
        let down = downUntil.withLockedValue { $0 }
        var path: [Int] = []
        for index in array.ranking(for: url) {
            if index == selfIndex { break }
            if down[index] > now { continue }
            path.append(index)
        }
        return path
    }

    /// The owner of `url` as this node sees it now (`who owns` for operators and tests).
    public func owner(of url: String, now: Int64) -> Int? {
        let down = downUntil.withLockedValue { $0 }
        return array.owner(of: url) { $0 == selfIndex || down[$0] <= now }
    }

    /// A fetch from `index` failed: skip it for `downSeconds`.
    public func markDown(_ index: Int, now: Int64) {
        downUntil.withLockedValue { $0[index] = now + downSeconds }
    }

    /// True when a `Via` value shows the request already passed a member: it is fetched, not routed again.
    public func cameThroughMember(via values: [String]) -> Bool {
        values.contains { value in viaMarks.contains { value.contains($0) } }
    }
}
