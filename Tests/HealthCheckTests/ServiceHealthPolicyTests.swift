import HealthCheck
import ShoalCore
import Testing

/// keepalived virtual_server semantics: inhibit_on_failure, sorry server, quorum with hysteresis, dynamic weights.
@Suite struct ServiceHealthPolicyTests {
    static let a = Endpoint("10.61.0.1:80")!
    static let b = Endpoint("10.61.0.2:80")!
    static let c = Endpoint("10.61.0.3:80")!
    static let sorry = Endpoint("10.61.0.99:80")!

    static func members(_ up: [Bool], weights: [Int] = [1, 1, 1], dynamic: [Int?] = [nil, nil, nil]) -> [ServiceMember] {
        zip([a, b, c], zip(up, zip(weights, dynamic))).map { endpoint, rest in
            ServiceMember(endpoint: endpoint, weight: rest.1.0, isUp: rest.0, dynamicWeight: rest.1.1)
        }
    }

    static func entries(_ plan: ServicePlan) -> [String] { plan.entries.map { "\($0.endpoint)=\($0.weight)" } }

    @Test func downServersAreRemovedOrInhibited() {
        var plain = ServiceHealthPolicy()
        let p = plain.plan(Self.members([true, false, true], weights: [2, 3, 4]))
        #expect(Self.entries(p) == ["10.61.0.1:80=2", "10.61.0.3:80=4"])
        #expect(p.transitions.isEmpty)
        #expect(p.liveWeight == 6)
        #expect(p.quorumUp)

        var inhibit = ServiceHealthPolicy(options: ServiceHealthOptions(inhibitOnFailure: true))
        let q = inhibit.plan(Self.members([true, false, true], weights: [2, 3, 4]))
        #expect(Self.entries(q) == ["10.61.0.1:80=2", "10.61.0.2:80=0", "10.61.0.3:80=4"])
    }

    @Test func dynamicWeightReplacesTheConfiguredWeightWhileUp() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(inhibitOnFailure: true))
        let p = policy.plan(Self.members([true, true, false], weights: [5, 5, 5], dynamic: [3, 0, 7]))
        #expect(Self.entries(p) == ["10.61.0.1:80=3", "10.61.0.2:80=0", "10.61.0.3:80=0"])
        #expect(p.liveWeight == 3)
    }

    @Test func allDownBringsTheSorryServerInAndRecoveryTakesItOut() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(sorryServer: Self.sorry, quorumUp: "up.sh", quorumDown: "down.sh"))
        let start = policy.plan(Self.members([true, true, true]))
        #expect(start.transitions.isEmpty)
        #expect(!Self.entries(start).contains("10.61.0.99:80=1"))

        let down = policy.plan(Self.members([false, false, false]))
        #expect(down.transitions == [.quorumLost(liveWeight: 0, notify: "down.sh"), .sorryServerIn(Self.sorry)])
        #expect(Self.entries(down) == ["10.61.0.99:80=1"])
        #expect(down.notifyCommands == ["down.sh"])
        #expect(!down.quorumUp)
        #expect(policy.activeSorryServer == Self.sorry)

        let still = policy.plan(Self.members([false, false, false]))
        #expect(still.transitions.isEmpty)
        #expect(Self.entries(still) == ["10.61.0.99:80=1"])

        let back = policy.plan(Self.members([false, true, false]))
        #expect(back.transitions == [.quorumGained(liveWeight: 1, notify: "up.sh"), .sorryServerOut(Self.sorry)])
        #expect(Self.entries(back) == ["10.61.0.2:80=1"])
        #expect(policy.activeSorryServer == nil)
    }

    @Test func withoutSorryServerTheRemainingLiveServersKeepServing() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(quorum: 3))
        let p = policy.plan(Self.members([true, true, false]))
        #expect(p.transitions == [.quorumLost(liveWeight: 2, notify: nil)])
        #expect(Self.entries(p) == ["10.61.0.1:80=1", "10.61.0.2:80=1"])
        #expect(p.notifyCommands.isEmpty)
    }

    @Test func whileQuorumIsLostLiveServersLeaveOrAreInhibitedForTheSorryServer() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(inhibitOnFailure: true, sorryServer: Self.sorry, quorum: 3))
        let p = policy.plan(Self.members([true, false, true]))
        #expect(Self.entries(p) == ["10.61.0.1:80=0", "10.61.0.2:80=0", "10.61.0.3:80=0", "10.61.0.99:80=1"])
        var removing = ServiceHealthPolicy(options: ServiceHealthOptions(sorryServer: Self.sorry, quorum: 3))
        #expect(Self.entries(removing.plan(Self.members([true, false, true]))) == ["10.61.0.99:80=1"])
    }

    @Test func hysteresisEdges() {
        // quorum 5, hysteresis 1: down below 4, up at 6 or more.
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(sorryServer: Self.sorry, quorum: 5, hysteresis: 1,
                                                                       quorumUp: "up", quorumDown: "down"))
        func weights(_ w: Int) -> [ServiceMember] { [ServiceMember(endpoint: Self.a, weight: w, isUp: true)] }
        #expect(policy.plan(weights(5)).transitions.isEmpty)
        #expect(policy.plan(weights(4)).transitions.isEmpty)  // 4 is not < 4: stays up
        #expect(policy.quorumUp)
        #expect(policy.plan(weights(3)).transitions == [.quorumLost(liveWeight: 3, notify: "down"), .sorryServerIn(Self.sorry)])
        #expect(policy.plan(weights(4)).transitions.isEmpty)
        #expect(policy.plan(weights(5)).transitions.isEmpty)  // 5 < 6: stays down
        #expect(!policy.quorumUp)
        #expect(Self.entries(policy.plan(weights(5))) == ["10.61.0.99:80=1"])
        let up = policy.plan(weights(6))
        #expect(up.transitions == [.quorumGained(liveWeight: 6, notify: "up"), .sorryServerOut(Self.sorry)])
        #expect(Self.entries(up) == ["10.61.0.1:80=6"])
        #expect(policy.plan(weights(4)).transitions.isEmpty)
        #expect(policy.plan(weights(3)).transitions.first == .quorumLost(liveWeight: 3, notify: "down"))
    }

    @Test func zeroHysteresisFlipsAtTheQuorum() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(quorum: 2))
        #expect(policy.plan(Self.members([true, true, false])).transitions.isEmpty)
        #expect(policy.plan(Self.members([true, false, false])).transitions == [.quorumLost(liveWeight: 1, notify: nil)])
        #expect(policy.plan(Self.members([true, false, true])).transitions == [.quorumGained(liveWeight: 2, notify: nil)])
    }

    @Test func dynamicWeightsCountTowardsTheQuorum() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(quorum: 4))
        #expect(policy.plan(Self.members([true, true, true], weights: [2, 2, 2])).quorumUp)
        let p = policy.plan(Self.members([true, true, true], weights: [2, 2, 2], dynamic: [0, 0, 3]))
        #expect(p.liveWeight == 3)
        #expect(p.transitions == [.quorumLost(liveWeight: 3, notify: nil)])
        #expect(ServiceHealthPolicy.liveWeight(Self.members([true, false, true], weights: [2, 9, 2], dynamic: [nil, nil, 5])) == 7)
    }

    @Test func theSorryServerIsNotListedTwiceWhenItIsAlsoAMember() {
        var policy = ServiceHealthPolicy(options: ServiceHealthOptions(sorryServer: Self.c, quorum: 10))
        let p = policy.plan(Self.members([false, false, true]))
        #expect(Self.entries(p) == ["10.61.0.3:80=1"])
    }
}
