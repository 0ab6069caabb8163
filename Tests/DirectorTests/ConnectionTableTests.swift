@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// Connection table timeouts and counts, persistence templates (ip_vs_conn.c, ip_vs_core.c
/// ip_vs_sched_persist), IPv6 and fwmark services.
@Suite(.offCooperativePool) struct ConnectionTableTests {
    @Test func tcpIsActiveThenInactiveForTcpfinThenGone() throws {
        var f = try Fixture(.rr)
        try f.add(S.A)
        #expect(f.connect(at: 0, until: 10) == S.A)
        #expect(f.server(S.A).activeConnections == 1)
        f.table.advance(to: DirectorTime(seconds: 10))
        #expect(f.server(S.A).activeConnections == 0)
        #expect(f.server(S.A).inactiveConnections == 1)
        #expect(f.table.connectionEntries.first?.state == .finWait)
        f.table.advance(to: DirectorTime(seconds: 129))
        #expect(f.table.connectionCount == 1)
        f.table.advance(to: DirectorTime(seconds: 130))
        #expect(f.table.connectionCount == 0)
        #expect(f.server(S.A).inactiveConnections == 0)
    }

    @Test func udpIsInactiveForItsDurationPlusTheUdpTimeout() throws {
        var f = try Fixture(.rr, vip: "10.0.0.1:53", proto: .udp)
        try f.add("192.168.1.1:53")
        _ = f.connect(at: 5, until: 7)
        #expect(f.server("192.168.1.1:53").inactiveConnections == 1)
        #expect(f.server("192.168.1.1:53").activeConnections == 0)
        f.table.advance(to: DirectorTime(seconds: 306))
        #expect(f.table.connectionCount == 1)
        f.table.advance(to: DirectorTime(seconds: 307))
        #expect(f.table.connectionCount == 0)
    }

    @Test func setTimeoutsChangesOnlyNonZeroValues() throws {
        var f = try Fixture(.rr)
        try f.table.apply(.setTimeouts(tcp: 0, tcpFin: 30, udp: 0))
        #expect(f.table.timeouts == Timeouts(tcp: 900, tcpFin: 30, udp: 300))
        try f.add(S.A)
        _ = f.connect(at: 0, until: 1)
        f.table.advance(to: DirectorTime(seconds: 31))
        #expect(f.table.connectionCount == 0)
    }

    @Test func liveConnectionsIdleOutAfterTheTcpTimeoutUnlessTouched() throws {
        var f = try Fixture(.rr)
        try f.add(S.A)
        let outcome = f.table.connect(ConnectionRequest(proto: .tcp, client: Endpoint("1.2.3.4:5")!, virtual: Endpoint("10.0.0.1:80")!), at: .zero)
        guard case let .forwarded(id?, _, _) = outcome else { Issue.record("not forwarded"); return }
        f.table.touch(id, at: DirectorTime(seconds: 800))
        f.table.advance(to: DirectorTime(seconds: 1000))
        #expect(f.table.connection(id) != nil)
        f.table.close(id, at: DirectorTime(seconds: 1000))
        f.table.advance(to: DirectorTime(seconds: 1120))
        #expect(f.table.connection(id) == nil)
    }

    @Test func aKnownTupleKeepsItsServerWithoutScheduling() throws {
        var f = try Fixture(.rr)
        try f.add(S.A); try f.add(S.B)
        #expect(f.connect(from: "1.1.1.1:1000", at: 0, until: 5) == S.B)
        #expect(f.connect(from: "1.1.1.1:1000", at: 6, until: 10) == S.B)  // still in FIN_WAIT: reused, active again
        #expect(f.server(S.B).activeConnections == 1)
        #expect(f.server(S.B).inactiveConnections == 0)
        #expect(f.connect(from: "1.1.1.2:1000", at: 6) == S.A)
    }

    @Test func persistenceMasksTheClientAndOutlivesConnections() throws {
        var f = try Fixture(.rr, persistence: Persistence(timeout: 100, netmask: 0xffff_ff00))
        try f.add(S.A); try f.add(S.B)
        #expect(f.connect(from: "198.51.100.1:1", at: 0, until: 10) == S.B)
        #expect(f.connect(from: "198.51.100.200:1", at: 1, until: 10) == S.B)  // same /24
        #expect(f.connect(from: "198.51.101.1:1", at: 1, until: 10) == S.A)  // other /24
        #expect(f.server(S.B).persistentConnections == 1)
        // The template's timer: last use at 1 s + 100 s. Connections are gone at 130 s (10 + 120).
        // At 101 s they still hang off it: re-armed for 60 s (to 161 s).
        f.table.advance(to: DirectorTime(seconds: 101))
        let template = f.table.connectionEntries.first { $0.isTemplate && $0.destination == Endpoint(S.B)! }!
        #expect(template.expires == DirectorTime(seconds: 161))
        #expect(template.client == Endpoint("198.51.100.0:0")!)
        f.table.advance(to: DirectorTime(seconds: 160))
        #expect(f.connect(from: "198.51.100.7:1", at: 160, until: 161) == S.B)  // reuses it; timer now 160 + 60
        f.table.advance(to: DirectorTime(seconds: 160 + 60))
        #expect(f.server(S.B).persistentConnections == 1)  // its connection is in FIN_WAIT until 281
        f.table.advance(to: DirectorTime(seconds: 281))
        #expect(f.server(S.B).persistentConnections == 1)  // re-armed at 280 to 340
        f.table.advance(to: DirectorTime(seconds: 340))
        #expect(f.server(S.B).persistentConnections == 0)
        #expect(f.table.connectionCount == 0)
    }

    @Test func aLiveTemplateWinsOverQuiescedAndOverloadedServers() throws {
        var f = try Fixture(.rr, persistence: Persistence(timeout: 300, netmask: 0xffff_ffff))
        try f.add(S.A); try f.add(S.B, upper: 1)
        #expect(f.connect(from: "203.0.113.5:1") == S.B)
        #expect(f.server(S.B).isOverloaded)
        #expect(f.connect(from: "203.0.113.5:2") == S.B)
        try f.edit(S.B, weight: 0, upper: 1)
        #expect(f.connect(from: "203.0.113.5:3") == S.B)
        #expect(f.connect(from: "203.0.113.6:1") == S.A)
    }

    @Test func aDeletedServerInvalidatesItsTemplateButKeepsItsConnections() throws {
        var f = try Fixture(.rr, persistence: Persistence(timeout: 300, netmask: 0xffff_ffff))
        try f.add(S.A); try f.add(S.B)
        #expect(f.connect(from: "203.0.113.5:1", at: 0, until: 50) == S.B)
        try f.remove(S.B)
        #expect(f.connect(from: "203.0.113.5:2", at: 1) == S.A)
        // The old connection and template are still listed until their timers run out.
        #expect(f.table.connectionEntries.filter { $0.destination.address == Endpoint(S.B)!.address }.count == 2)
        // Re-adding B brings back its counters from the trash.
        try f.add(S.B)
        #expect(f.server(S.B).activeConnections == 1)
        #expect(f.server(S.B).persistentConnections == 1)
    }

    @Test func portZeroPersistentServiceForwardsToTheClientsPort() throws {
        var f = try Fixture(.rr, vip: "10.0.0.1:0", persistence: Persistence(timeout: 60, netmask: 0xffff_ffff))
        try f.table.apply(.addServer(f.key, RealServerConfig(endpoint: Endpoint("192.168.1.1:0")!, forwarding: .route)))
        #expect(f.connect(from: "1.2.3.4:9", virtual: Endpoint("10.0.0.1:443")!) == "192.168.1.1:443")
        #expect(f.connect(from: "1.2.3.4:10", virtual: Endpoint("10.0.0.1:25")!) == "192.168.1.1:25")
    }

    @Test func ipv6ServicePersistsOnAPrefix() throws {
        var f = try Fixture(.wlc, vip: "[2001:db8::1]:443", persistence: Persistence(timeout: 360, netmask: 64))
        try f.add("[2001:db8:1::10]:443"); try f.add("[2001:db8:1::11]:443")
        let a = f.connect(from: "[2001:db8:aa:1::1]:5000")
        #expect(f.connect(from: "[2001:db8:aa:1:ffff::9]:5001") == a)  // same /64
        #expect(a.hasPrefix("[2001:db8:1::1"))
    }

    @Test func fwmarkServiceMatchesMarkedPackets() throws {
        var f = try Fixture(.rr, key: .fwmark(10, .inet))
        try f.add("192.168.1.1:0"); try f.add("192.168.1.2:0")
        #expect(f.connect(virtual: Endpoint("10.0.0.7:8080")!) == "192.168.1.2:8080")
        #expect(f.connect(virtual: Endpoint("10.0.0.8:22")!) == "192.168.1.1:22")
        // No mark, no service.
        let unmarked = f.table.connect(ConnectionRequest(proto: .tcp, client: Endpoint("1.1.1.1:1")!, virtual: Endpoint("10.0.0.7:8080")!), at: .zero)
        #expect(unmarked == .dropped(.noService))
    }

    @Test func onePacketSchedulingLeavesNoEntry() throws {
        var f = try Fixture(.rr, vip: "10.0.0.1:53", proto: .udp, onePacket: true)
        try f.add("192.168.1.1:53"); try f.add("192.168.1.2:53")
        #expect(f.connect(from: "1.1.1.1:1") == "192.168.1.2:53")
        #expect(f.connect(from: "1.1.1.1:1") == "192.168.1.1:53")
        #expect(f.table.connectionCount == 0)
        #expect(f.server("192.168.1.1:53").inactiveConnections == 0)
    }

    @Test func batchIsAllOrNothing() throws {
        var table = DirectorTable()
        let key = VirtualServiceKey.address(.tcp, Endpoint("10.0.0.1:80")!)
        let batch: [(line: Int, command: IPVSCommand)] = [
            (1, .addService(VirtualServiceConfig(key: key))),
            (2, .addServer(key, RealServerConfig(endpoint: Endpoint(S.A)!))),
            (3, .addServer(key, RealServerConfig(endpoint: Endpoint(S.A)!))),
        ]
        #expect(throws: ConfigError(file: "r.rules", line: 3, field: "-r 192.168.1.1:80", "Destination already exists")) {
            try table.apply(batch: batch, file: "r.rules")
        }
        #expect(table.services.isEmpty)
        try table.apply(batch: Array(batch.prefix(2)))
        #expect(table.services.count == 1)
    }

    @Test func tableErrorsCarryIpvsadmsMessages() throws {
        var table = DirectorTable()
        let key = VirtualServiceKey.address(.tcp, Endpoint("10.0.0.1:80")!)
        let other = VirtualServiceKey.address(.udp, Endpoint("10.0.0.1:80")!)
        try table.apply(.addService(VirtualServiceConfig(key: key)))
        #expect(throws: ConfigError(field: "-t 10.0.0.1:80", "Service already exists")) { try table.apply(.addService(VirtualServiceConfig(key: key))) }
        #expect(throws: ConfigError(field: "-u 10.0.0.1:80", "No such service")) { try table.apply(.editService(VirtualServiceConfig(key: other))) }
        #expect(throws: ConfigError(field: "-u 10.0.0.1:80", "No such service")) { try table.apply(.deleteService(other)) }
        #expect(throws: ConfigError(field: "-u 10.0.0.1:80", "Service not defined")) {
            try table.apply(.addServer(other, RealServerConfig(endpoint: Endpoint(S.A)!)))
        }
        #expect(throws: ConfigError(field: "-r 192.168.1.1:80", "No such destination")) {
            try table.apply(.editServer(key, RealServerConfig(endpoint: Endpoint(S.A)!)))
        }
        #expect(throws: ConfigError(field: "-r 192.168.1.1:80", "No such destination")) { try table.apply(.deleteServer(key, Endpoint(S.A)!)) }
        #expect(throws: ConfigError(field: "-y", "lower threshold is higher than upper threshold")) {
            try table.apply(.addServer(key, RealServerConfig(endpoint: Endpoint(S.A)!, lowerThreshold: 5)))
        }
    }

    @Test func editingTheSchedulerStartsItAfresh() throws {
        var f = try Fixture(.rr)
        try f.add(S.A); try f.add(S.B)
        #expect(f.decisions(1) == [S.B])
        try f.table.apply(.editService(VirtualServiceConfig(key: f.key, scheduler: .rr)))  // same: state kept
        #expect(f.decisions(1) == [S.A])
        try f.table.apply(.editService(VirtualServiceConfig(key: f.key, scheduler: .wrr)))
        #expect(f.decisions(2) == [S.B, S.A])
    }

    @Test func directorTimeParsesDecimalSecondsExactly() {
        #expect(DirectorTime(parsingSeconds: "1.5") == DirectorTime(microseconds: 1_500_000))
        #expect(DirectorTime(parsingSeconds: "0.1")!.adding(DirectorTime(parsingSeconds: "0.2")!) == DirectorTime(parsingSeconds: "0.3"))
        #expect(DirectorTime(parsingSeconds: "-1") == nil)
        #expect(DirectorTime(parsingSeconds: "1.") == nil)
        #expect(DirectorTime(parsingSeconds: "1.0000001") == nil)
        #expect(DirectorTime(parsingSeconds: "abc") == nil)
    }
}
