/// What an ICP client knows of one peer: smoothed round trip, and whether it is up (answering) or down
/// (silent for `downAfter` queries in a row). A down peer is still sent queries as probes; its first reply
/// brings it back up. Pure; time is passed in as nanoseconds.
public struct ICPPeerHealth: Sendable, Equatable {
    /// Queries in a row without a reply that mark a peer down.
    public var downAfter: Int
    public private(set) var isUp = true
    /// Smoothed round trip (RFC 6298's 1/8 gain), nil until the first reply.
    public private(set) var smoothedRTT: Int64?
    public private(set) var unanswered = 0

    public init(downAfter: Int = 5) {
        self.downAfter = max(1, downAfter)
    }

    /// A reply arrived `rtt` nanoseconds after its query.
    public mutating func replied(rtt: Int64) {
        unanswered = 0
        isUp = true
        let sample = max(0, rtt)
        smoothedRTT = smoothedRTT.map { $0 + (sample - $0) / 8 } ?? sample
    }

    /// A reply arrived too late to time it: the peer is alive, its round trip is not updated.
    public mutating func heard() {
        unanswered = 0
        isUp = true
    }

    /// A query timed out without this peer's reply.
    public mutating func missed() {
        unanswered += 1
        if unanswered >= downAfter { isUp = false }
    }
}

/// The adaptive wait for one round of queries: twice the slowest expected peer's smoothed round trip, at
/// least `floor`, at most `ceiling` (2 s, RFC 2187's advice); a peer without a measurement yet counts as the
/// ceiling.
public struct ICPTimeoutPolicy: Sendable, Equatable {
    public var floor: Int64
    public var ceiling: Int64

    public init(floor: Int64 = 10_000_000, ceiling: Int64 = 2_000_000_000) {
        self.floor = floor
        self.ceiling = max(floor, ceiling)
    }

    /// The timeout in nanoseconds for a round waiting on peers with these health records.
    public func timeout(for peers: [ICPPeerHealth]) -> Int64 {
        var slowest: Int64 = 0
        for peer in peers {
            guard let rtt = peer.smoothedRTT else { return ceiling }
            slowest = max(slowest, rtt)
        }
        let doubled = slowest > ceiling / 2 ? ceiling : slowest * 2
        return min(ceiling, max(floor, doubled))
    }
}
