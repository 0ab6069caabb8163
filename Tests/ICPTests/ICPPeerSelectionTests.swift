import ICP
import Testing
import ShoalTestFixtures

/// The client side: one round of queries decided (RFC 2187 §3.1), peer health and the adaptive timeout.
@Suite(.offCooperativePool) struct ICPPeerSelectionTests {
    static let peers = [ICPPeer(name: "s1", kind: .sibling), ICPPeer(name: "p1", kind: .parent),
                        ICPPeer(name: "p2", kind: .parent), ICPPeer(name: "s2", kind: .sibling)]

    @Test func firstHitWinsAtOnce() {
        var round = ICPPeerSelection(peers: Self.peers, expected: [0, 1, 2, 3])
        #expect(round.receive(.miss, from: 0, rtt: 100) == nil)
        #expect(round.receive(.hit, from: 3, rtt: 200) == .hit(peer: 3))
        #expect(round.receive(.hit, from: 1, rtt: 300) == .hit(peer: 3))
    }

    @Test func hitObjCountsAsHit() {
        var round = ICPPeerSelection(peers: Self.peers, expected: [0])
        #expect(round.receive(.hitObj, from: 0, rtt: 1) == .hit(peer: 0))
    }

    @Test func fastestParentMissWhenNoHit() {
        var round = ICPPeerSelection(peers: Self.peers, expected: [0, 1, 2, 3])
        #expect(round.receive(.miss, from: 1, rtt: 900) == nil)
        #expect(round.receive(.miss, from: 2, rtt: 300) == nil)
        #expect(round.receive(.miss, from: 0, rtt: 100) == nil)
        #expect(round.receive(.missNoFetch, from: 3, rtt: 100) == .parentMiss(peer: 2))
    }

    @Test func siblingMissesGoDirect() {
        var round = ICPPeerSelection(peers: Self.peers, expected: [0, 3])
        #expect(round.receive(.miss, from: 0, rtt: 1) == nil)
        #expect(round.receive(.denied, from: 3, rtt: 1) == .direct)
    }

    @Test func timeoutDecidesWithWhatArrived() {
        var round = ICPPeerSelection(peers: Self.peers, expected: [0, 1, 2])
        round.receive(.miss, from: 1, rtt: 5)
        #expect(round.timeOut() == .parentMiss(peer: 1))
        var silent = ICPPeerSelection(peers: Self.peers, expected: [0, 1])
        #expect(silent.timeOut() == .direct)
        #expect(silent.awaiting == [0, 1])
    }

    @Test func noPeerUpIsDirectAtOnce() {
        let round = ICPPeerSelection(peers: Self.peers, expected: [])
        #expect(round.result == .direct)
    }

    @Test func unexpectedPeerIndexIgnored() {
        var round = ICPPeerSelection(peers: Self.peers, expected: [0])
        #expect(round.receive(.hit, from: 9, rtt: 1) == nil)
    }

    @Test func peerGoesDownAfterSilenceAndUpOnItsFirstReply() {
        var health = ICPPeerHealth(downAfter: 3)
        health.missed(); health.missed()
        #expect(health.isUp)
        health.missed()
        #expect(!health.isUp)
        health.replied(rtt: 1_000_000)
        #expect(health.isUp && health.unanswered == 0 && health.smoothedRTT == 1_000_000)
        health.replied(rtt: 9_000_000)
        #expect(health.smoothedRTT == 2_000_000)
    }

    @Test func adaptiveTimeout() {
        let policy = ICPTimeoutPolicy(floor: 10_000_000, ceiling: 2_000_000_000)
        var fast = ICPPeerHealth(), slow = ICPPeerHealth()
        #expect(policy.timeout(for: [fast]) == 2_000_000_000) // nothing measured yet
        fast.replied(rtt: 1_000_000)
        #expect(policy.timeout(for: [fast]) == 10_000_000) // floor
        slow.replied(rtt: 40_000_000)
        #expect(policy.timeout(for: [fast, slow]) == 80_000_000)
        slow.replied(rtt: 5_000_000_000)                            // smoothed: 40 ms + (5 s - 40 ms) / 8 = 660 ms
        #expect(policy.timeout(for: [fast, slow]) == 1_320_000_000)
        var silent = ICPPeerHealth()
        silent.replied(rtt: 5_000_000_000)
        #expect(policy.timeout(for: [fast, silent]) == 2_000_000_000) // ceiling
        #expect(policy.timeout(for: []) == 10_000_000)
    }
}
