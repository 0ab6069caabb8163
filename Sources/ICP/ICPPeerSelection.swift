/// A peer of an ICP client: a sibling (its HITs only) or a parent (also fetched through on a MISS).
public struct ICPPeer: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case sibling, parent }
    /// A name for logs and counters (usually host:port).
    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// The answer to "where do I fetch this URL from", after one round of ICP queries (RFC 2187 §3.1).
public enum ICPSelectionResult: Hashable, Sendable {
    /// A peer answered HIT (or HIT_OBJ): fetch from it.
    case hit(peer: Int)
    /// No HIT; the fastest parent answered MISS: fetch through it.
    case parentMiss(peer: Int)
    /// No HIT and no parent willing: go to the origin.
    case direct
}

/// One round of ICP queries for one URL: which peers it waits for, replies folded in as they arrive, the
/// decision as soon as it is known (the first HIT ends it at once). Pure: time is passed in as offsets.
public struct ICPPeerSelection: Sendable {
    public let peers: [ICPPeer]
    /// Peers a reply is still expected from (down peers are queried as a probe but not waited for).
    public private(set) var awaiting: Set<Int>
    /// MISS replies from parents with their round-trip time (nanoseconds).
    public private(set) var parentMisses: [(peer: Int, rtt: Int64)] = []
    public private(set) var result: ICPSelectionResult?

    /// `expected` are the indexes of the peers that are up; down peers get the query but are not waited for.
    public init(peers: [ICPPeer], expected: Set<Int>) {
        self.peers = peers
        self.awaiting = expected
        if expected.isEmpty { result = .direct }
    }

    /// Folds in one reply from peer `index`, `rtt` nanoseconds after the query; returns the result once known.
    @discardableResult
    public mutating func receive(_ opcode: ICPOpcode, from index: Int, rtt: Int64) -> ICPSelectionResult? {
        guard result == nil, peers.indices.contains(index) else { return result }
        awaiting.remove(index)
        switch opcode {
        case .hit, .hitObj:
            result = .hit(peer: index)
            return result
        case .miss where peers[index].kind == .parent:
            parentMisses.append((index, rtt))
        default:
            break // MISS from a sibling, MISS_NOFETCH, DENIED, ERR: no help from this peer
        }
        if awaiting.isEmpty { result = decideWithoutHit() }
        return result
    }

    /// The round timed out: decide with what arrived.
    public mutating func timeOut() -> ICPSelectionResult {
        if let result { return result }
        let decided = decideWithoutHit()
        result = decided
        return decided
    }

    func decideWithoutHit() -> ICPSelectionResult {
        guard let fastest = parentMisses.min(by: { $0.rtt < $1.rtt }) else { return .direct }
        return .parentMiss(peer: fastest.peer)
    }
}
