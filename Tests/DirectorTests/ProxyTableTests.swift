@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// What a full-proxy dataplane asks of the table: accepted connections are new, refused servers are
/// skipped, a cookie can name a server, and a desired state is reached with the fewest commands.
@Suite(.offCooperativePool) struct ProxyTableTests {
    func request(_ client: String, _ vip: String = "10.0.0.1:80") -> ConnectionRequest {
        ConnectionRequest(proto: .tcp, client: Endpoint(client)!, virtual: Endpoint(vip)!)
    }

    @Test func excludedServersAreSkippedByEveryKindOfScheduler() throws {
        for scheduler in [SchedulerName.rr, .wrr, .lc, .wlc, .sed, .nq, .fo, .ovf] {
            var f = try Fixture(scheduler)
            // Weight 100: ovf counts weight as capacity in active connections.
            try f.add("192.168.0.1:80", weight: 100); try f.add("192.168.0.2:80", weight: 100); try f.add("192.168.0.3:80", weight: 100)
            for i in 0..<9 {
                let outcome = f.table.accept(request("172.16.0.1:\(1000 + i)"), at: .zero, excluding: [Endpoint("192.168.0.2:80")!])
                #expect(outcome.destination != nil && outcome.destination != Endpoint("192.168.0.2:80")!, "\(scheduler)")
            }
            // The exclusion was temporary: no server is left overloaded.
            #expect(f.servers.allSatisfy { !$0.isOverloaded }, "\(scheduler)")
            #expect(f.table.accept(request("172.16.0.2:1"), at: .zero, excluding: Set(f.servers.map(\.endpoint))).destination == nil)
        }
    }

    @Test func aReusedClientPortIsANewConnectionOnceTheOldOneClosed() throws {
        var f = try Fixture(.rr)
        try f.add("192.168.0.1:80"); try f.add("192.168.0.2:80")
        guard case let .forwarded(first?, a, _) = f.table.accept(request("172.16.0.1:5000"), at: .zero) else { Issue.record("dropped"); return }
        f.table.close(first, at: DirectorTime(seconds: 1))
        guard case let .forwarded(second?, b, reused) = f.table.accept(request("172.16.0.1:5000"), at: DirectorTime(seconds: 2)) else {
            Issue.record("dropped"); return
        }
        // The closed entry (FIN_WAIT) made way; rr moved on; the counts are one connection, active.
        #expect(!reused && second != first && a != b)
        #expect(f.table.connection(first) == nil)
        #expect(f.servers.map(\.activeConnections).reduce(0, +) == 1)
        #expect(f.servers.map(\.inactiveConnections).reduce(0, +) == 0)
    }

    @Test func anOpenConnectionWithTheSameClientKeepsItsEntry() throws {
        var f = try Fixture(.rr)
        try f.add("192.168.0.1:80"); try f.add("192.168.0.2:80")
        guard case let .forwarded(first?, _, _) = f.table.accept(request("172.16.0.1:5000"), at: .zero),
              case let .forwarded(second?, _, _) = f.table.accept(request("172.16.0.1:5000"), at: .zero) else {
            Issue.record("dropped"); return
        }
        #expect(first != second && f.table.connection(first) != nil && f.table.connection(second) != nil)
        #expect(f.servers.map(\.activeConnections) == [1, 1])
        f.table.close(first, at: .zero)
        f.table.close(second, at: .zero)
        #expect(f.servers.map(\.inactiveConnections) == [1, 1])
    }

    @Test func aPersistenceTemplateToARefusingServerIsDropped() throws {
        var f = try Fixture(.rr, persistence: Persistence(timeout: 300, netmask: 0xffff_ffff))
        try f.add("192.168.0.1:80"); try f.add("192.168.0.2:80")
        let first = f.table.accept(request("172.16.0.1:1"), at: .zero).destination!
        #expect(f.table.accept(request("172.16.0.1:2"), at: .zero).destination == first)
        let retried = f.table.accept(request("172.16.0.1:3"), at: .zero, excluding: [first]).destination
        #expect(retried != nil && retried != first)
        // The new template sticks.
        #expect(f.table.accept(request("172.16.0.1:4"), at: .zero).destination == retried)
    }

    @Test func aCookieBindsToItsServerOnlyWhileThatServerIsUsable() throws {
        var f = try Fixture(.wlc)
        try f.add("192.168.0.1:80"); try f.add("192.168.0.2:80")
        let named = Endpoint("192.168.0.2:80")!
        for i in 0..<4 {
            #expect(f.table.accept(request("172.16.0.1:\(i)"), at: .zero, to: named)?.destination == named)
        }
        #expect(f.table.accepts(named, in: f.key))
        #expect(f.servers.allSatisfy { !$0.isOverloaded })
        try f.edit("192.168.0.2:80", weight: 0)
        #expect(!f.table.accepts(named, in: f.key))
        #expect(f.table.accept(request("172.16.0.1:9"), at: .zero, to: named) == nil)
        #expect(f.table.accept(request("172.16.0.1:9"), at: .zero, to: Endpoint("192.168.0.9:80")!) == nil)
    }

    @Test func discardRemovesAnEntryAndItsCount() throws {
        var f = try Fixture(.rr)
        try f.add("192.168.0.1:80")
        guard case let .forwarded(id?, _, _) = f.table.accept(request("172.16.0.1:1"), at: .zero) else { Issue.record("dropped"); return }
        f.table.discard(id)
        #expect(f.table.connectionCount == 0 && f.servers[0].activeConnections == 0)
    }

    @Test func reachingADesiredStateTouchesOnlyWhatDiffers() throws {
        var f = try Fixture(.rr)
        try f.add("192.168.0.1:80", weight: 1); try f.add("192.168.0.2:80", weight: 2)
        #expect(f.table.commands(toReach: f.table.desiredServices).isEmpty)
        let key = f.key
        let other = VirtualServiceKey.address(.udp, Endpoint("10.0.0.1:53")!)
        let desired = [
            DesiredService(config: VirtualServiceConfig(key: key, scheduler: .wrr), servers: [
                RealServerConfig(endpoint: Endpoint("192.168.0.2:80")!, forwarding: .masquerade, weight: 5),
                RealServerConfig(endpoint: Endpoint("192.168.0.3:80")!, forwarding: .masquerade, weight: 1),
            ]),
            DesiredService(config: VirtualServiceConfig(key: other, scheduler: .rr), servers: []),
        ]
        let commands = f.table.commands(toReach: desired)
        #expect(commands == [
            .editService(VirtualServiceConfig(key: key, scheduler: .wrr)),
            .deleteServer(key, Endpoint("192.168.0.1:80")!),
            .editServer(key, RealServerConfig(endpoint: Endpoint("192.168.0.2:80")!, forwarding: .masquerade, weight: 5)),
            .addServer(key, RealServerConfig(endpoint: Endpoint("192.168.0.3:80")!, forwarding: .masquerade, weight: 1)),
            .addService(VirtualServiceConfig(key: other, scheduler: .rr)),
        ])
        try f.table.apply(batch: commands.map { (0, $0) })
        #expect(f.table.commands(toReach: desired).isEmpty)
        #expect(f.table.commands(toReach: []) == [.deleteService(key), .deleteService(other)])
    }
}
