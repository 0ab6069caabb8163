@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// sh, dh and mh (ip_vs_sh.c, ip_vs_dh.c, ip_vs_mh.c), and the locality and random schedulers.
@Suite(.offCooperativePool) struct HashSchedulerTests {
    @Test func kernelHashHelpersMatchKnownValues() {
        // hash_32(1, 8) = (1 * 0x61C88647) >> 24 = 0x61.
        #expect(KernelHash.hash32(1, bits: 8) == 0x61)
        // SipHash-1-3 is deterministic and keyed: different keys give different values.
        let a = KernelHash.hsiphash(0x0a000001, k0: 2_654_435_761, k1: 2_654_435_761)
        let b = KernelHash.hsiphash(0x0a000001, k0: 2_654_435_801, k1: 2_654_435_801)
        #expect(a != b)
        #expect(a == KernelHash.hsiphash(0x0a000001, k0: 2_654_435_761, k1: 2_654_435_761))
    }

    @Test func shTableIsWeightProportional() throws {
        var f = try Fixture(.sh)
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 3)  // list B, A
        let sh = f.table.service(f.key)!.scheduler as! SourceHashScheduler
        // Buckets fill B,B,B,A repeating: 192 for B, 64 for A.
        #expect(sh.buckets.filter { $0 == 0 }.count == 192)
        #expect(sh.buckets.filter { $0 == 1 }.count == 64)
        #expect(Array(sh.buckets.prefix(8)) == [0, 0, 0, 1, 0, 0, 0, 1])
    }

    @Test func shSendsAClientToTheSameServerAndHonoursThePortFlag() throws {
        var f = try Fixture(.sh)
        try f.add(S.A); try f.add(S.B); try f.add(S.C)
        let first = f.connect(from: "203.0.113.9:1000")
        for port in 1001...1020 { #expect(f.connect(from: "203.0.113.9:\(port)") == first) }
        var p = try Fixture(.sh, flags: [.port])
        try p.add(S.A); try p.add(S.B); try p.add(S.C)
        let spread = Set((1000...1060).map { p.connect(from: "203.0.113.9:\($0)") })
        #expect(spread.count == 3)
    }

    @Test func shWithoutFallbackDropsWhenTheHashedServerIsDownAndWithFallbackMovesOn() throws {
        var f = try Fixture(.sh)
        try f.add(S.A); try f.add(S.B)
        let client = "198.51.100.7:4000"
        let home = f.connect(from: client)
        try f.edit(home, weight: 0)
        #expect(f.connect(from: "198.51.100.7:4001") == "DROP")
        var g = try Fixture(.sh, flags: [.fallback])
        try g.add(S.A); try g.add(S.B)
        let home2 = g.connect(from: client)
        try g.edit(home2, weight: 0)
        let other = g.connect(from: "198.51.100.7:4001")
        #expect(other != "DROP" && other != home2)
    }

    @Test func dhHashesTheDestinationAddress() throws {
        var f = try Fixture(.dh, key: .fwmark(7, .inet))
        try f.add(S.A); try f.add(S.B); try f.add(S.C)
        let dh = f.table.service(f.key)!.scheduler as! DestinationHashScheduler
        #expect(Array(dh.buckets.prefix(6)) == [0, 1, 2, 0, 1, 2])
        // Same destination → same server, whatever the client.
        let vip = Endpoint("93.184.216.34:80")!
        let first = f.connect(from: "10.1.1.1:1", virtual: vip)
        for i in 2...20 { #expect(f.connect(from: "10.1.1.\(i):1", virtual: vip) == first) }
        // The bucket is (addr * 2654435761) & 255.
        let bucket = Int((UInt32(0x5db8_d822) &* 2_654_435_761) & 255)
        #expect(Endpoint(first)! == f.servers[bucket % 3].endpoint)
    }

    @Test func mhTableIsFullAndWeightProportional() throws {
        var f = try Fixture(.mh)
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 2); try f.add(S.C, weight: 1)
        let mh = f.table.service(f.key)!.scheduler as! MaglevScheduler
        #expect(mh.lookup.count == 4093)
        #expect(!mh.lookup.contains(-1))
        let counts = (0..<3).map { i in mh.lookup.filter { $0 == Int32(i) }.count }
        // List C, B, A; B has twice the turns: about 2046 of 4093 entries.
        #expect(abs(counts[1] - 2046) <= 2)
        #expect(abs(counts[0] - counts[2]) <= 2)
    }

    /// Where mh sends each client right now, without opening connections.
    static func mhMapping(_ f: Fixture, _ clients: [Endpoint]) -> [Endpoint?] {
        let service = f.table.service(f.key)!
        var mh = service.scheduler
        return clients.map { client in
            mh.schedule(SchedulingRequest(client: client, destination: Endpoint("10.0.0.1:80")!), servers: service.servers, flags: [])
                .map { service.servers[$0].endpoint }
        }
    }

    @Test(arguments: [3, 5, 10, 20])
    func mhMovesAboutOneNthOfClientsWhenOneOfNServersLeaves(_ n: Int) throws {
        var f = try Fixture(.mh)
        for i in 1...n { try f.add("192.168.2.\(i):80") }
        let clients = (0..<20_000).map { Endpoint(IPAddress.v4(0x6440_0000 &+ UInt32($0) &* 7919), 1000) }
        let before = Self.mhMapping(f, clients)
        let leaving = Endpoint("192.168.2.\(n / 2 + 1):80")!
        try f.remove(leaving.description)
        let after = Self.mhMapping(f, clients)
        let onLeaver = before.filter { $0 == leaving }.count
        let moved = zip(before, after).filter { $0 != $1 }.count
        let movedOthers = zip(before, after).filter { $0 != $1 && $0 != leaving }.count
        // The leaver's clients (about 1/N) must move; Maglev moves only a few of everyone else's.
        #expect(Double(onLeaver) / 20_000 < 1.3 / Double(n), "leaver held \(onLeaver)")
        #expect(Double(moved) / 20_000 <= 1.0 / Double(n) + 0.03, "moved \(moved) of 20000 with n=\(n)")
        #expect(Double(movedOthers) / 20_000 < 0.03, "others moved: \(movedOthers)")
        #expect(!after.contains(leaving))
    }

    @Test func mhQuiescedServerKeepsItsSlotsAndFallbackSkipsIt() throws {
        var f = try Fixture(.mh, flags: [.fallback])
        try f.add(S.A); try f.add(S.B); try f.add(S.C)
        let before = (f.table.service(f.key)!.scheduler as! MaglevScheduler).lookup
        try f.edit(S.B, weight: 0)  // last_weight keeps 1: the table does not change
        let after = (f.table.service(f.key)!.scheduler as! MaglevScheduler).lookup
        #expect(before == after)
        let picks = Set((0..<300).map { f.connect(from: "100.64.\($0 / 200).\($0 % 200 + 1):5") })
        #expect(!picks.contains(S.B) && picks.count == 2)
    }

    @Test func lblcKeepsADestinationOnOneServer() throws {
        var f = try Fixture(.lblc, key: .fwmark(3, .inet))
        try f.add(S.A, weight: 10); try f.add(S.B, weight: 10)
        let site = Endpoint("93.184.216.34:80")!
        let first = f.connect(from: "10.9.9.1:1", virtual: site)
        for i in 2...8 { #expect(f.connect(from: "10.9.9.\(i):1", virtual: site) == first) }
        let other = f.connect(from: "10.9.9.50:1", virtual: Endpoint("198.51.100.1:80")!)
        #expect(other != first)  // wlc picks the idle one for a new destination
    }

    @Test func lblcrGrowsTheSetWhenItsServerIsOverloaded() throws {
        var f = try Fixture(.lblcr, key: .fwmark(4, .inet))
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 4)
        let site = Endpoint("93.184.216.34:80")!
        let picks = (1...6).map { f.connect(from: "10.8.8.\($0):1", virtual: site) }
        // B (list head, weight 4) first; once A is idle under half its weight and B busier than its weight, A joins.
        #expect(picks.first == S.B)
        #expect(Set(picks) == [S.A, S.B])
    }

    @Test func twosIsDeterministicForASeedAndUsesOnlyUsableServers() throws {
        var f = try Fixture(.twos)
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 1); try f.add(S.C, weight: 0)
        let picks = f.decisions(200)
        #expect(!picks.contains(S.C))
        #expect(Set(picks) == [S.A, S.B])
        var g = try Fixture(.twos)
        try g.add(S.A, weight: 1); try g.add(S.B, weight: 1); try g.add(S.C, weight: 0)
        #expect(g.decisions(200) == picks)
    }
}
