@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// lc, wlc, sed, nq, fo and ovf: hand-worked sequences (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c,
/// ip_vs_nq.c, ip_vs_fo.c, ip_vs_ovf.c) and a decision-by-decision comparison with the kernel's scan.
@Suite(.offCooperativePool) struct LeastConnectionTests {
    @Test func wlcComparesOverheadPerWeightAndKeepsTheFirstOnTies() throws {
        var f = try Fixture(.wlc)
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 2)  // list B(2), A(1)
        // B(0/2) first; then A(0) < B(256/2); then B 256/2 vs A 256/1 → B; B 512/2 = A 256/1 → tie keeps B;
        // then B 768/2 > A 256/1 → A.
        #expect(f.decisions(5) == [S.B, S.A, S.B, S.B, S.A])
    }

    @Test func lcCountsInactiveConnectionsAtOneTwoHundredFiftySixth() throws {
        var f = try Fixture(.lc)
        try f.add(S.A); try f.add(S.B)  // B, A
        // B gets a connection that closes at t=1 (inactive until 121), A a long one.
        #expect(f.connect(at: 0, until: 1) == S.B)
        #expect(f.connect(at: 0) == S.A)
        f.table.advance(to: DirectorTime(seconds: 2))
        // Now B: 0 active + 1 inactive = 1; A: 256. B wins until it has 256 inactive... one more active:
        #expect(f.connect(at: 2) == S.B)  // B: 256 + 1 = 257 > A 256
        #expect(f.connect(at: 2) == S.A)
        #expect(f.server(S.B).inactiveConnections == 1)
        #expect(f.server(S.B).activeConnections == 1)
    }

    @Test func sedIgnoresInactiveAndWeighsActivePlusOne() throws {
        var f = try Fixture(.sed)
        try f.add(S.A, weight: 3); try f.add(S.B, weight: 1)  // B(1), A(3)
        // B (0+1)/1 = 1 vs A (0+1)/3 → A; A 2/3 → A; A 3/3 = B 1/1 → tie, B first in list → B;
        // then B 2/1 vs A 3/3 → A; A 4/3 vs B 2/1 → A; A 5/3 vs B 2 → A; A 6/3 = 2 = B 2 → B.
        #expect(f.decisions(7) == [S.A, S.A, S.B, S.A, S.A, S.A, S.B])
    }

    @Test func nqPrefersAnIdleServerInListOrder() throws {
        var f = try Fixture(.nq)
        try f.add(S.A, weight: 10); try f.add(S.B, weight: 1); try f.add(S.C, weight: 1)  // C, B, A
        // Idle servers first in list order regardless of weight, then sed.
        #expect(f.decisions(3) == [S.C, S.B, S.A])
        // All busy: C 2/1, B 2/1, A 2/10 → A until A (n+1)/10 ≥ 2.
        #expect(f.decisions(2) == [S.A, S.A])
    }

    @Test func foSendsEverythingToTheFirstHighestWeight() throws {
        var f = try Fixture(.fo)
        try f.add(S.A, weight: 5); try f.add(S.B, weight: 5, upper: 2); try f.add(S.C, weight: 1)  // C, B, A
        #expect(f.decisions(3) == [S.B, S.B, S.A])  // B overloaded after 2
        try f.edit(S.A, weight: 0)
        #expect(f.decisions(1) == [S.C])
    }

    @Test func ovfOverflowsWhenActiveExceedsWeight() throws {
        var f = try Fixture(.ovf)
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 2)  // B(2), A(1)
        // B takes while active ≤ weight: 0, 1, 2 → 3 connections, then A takes 2, then nothing.
        #expect(f.decisions(6) == [S.B, S.B, S.B, S.A, S.A, "DROP"])
    }

    @Test func upperThresholdWithLowerThresholdHysteresis() throws {
        var f = try Fixture(.lc)
        try f.add(S.A, weight: 1, upper: 3, lower: 2)
        #expect(f.connect(at: 0, until: 10) == S.A)
        #expect(f.connect(at: 0, until: 20) == S.A)
        #expect(f.connect(at: 0, until: 30) == S.A)
        #expect(f.server(S.A).isOverloaded)
        #expect(f.connect(at: 0) == "DROP")
        // Closing does not unbind: inactive connections still count until they expire (tcpfin 120 s).
        f.table.advance(to: DirectorTime(seconds: 130))  // the first has gone: total 2, not < 2
        #expect(f.server(S.A).isOverloaded)
        f.table.advance(to: DirectorTime(seconds: 140))  // the second has gone: total 1 < 2
        #expect(!f.server(S.A).isOverloaded)
    }

    @Test func upperThresholdAloneClearsBelowThreeQuarters() throws {
        var f = try Fixture(.lc)
        try f.add(S.A, weight: 1, upper: 4)
        for i in 0..<4 { _ = f.connect(at: 0, until: 10 * (i + 1)) }
        #expect(f.server(S.A).isOverloaded)
        f.table.advance(to: DirectorTime(seconds: 130))  // total 3: 3*4 = 12 < 12? no
        #expect(f.server(S.A).isOverloaded)
        f.table.advance(to: DirectorTime(seconds: 140))  // total 2: 8 < 12 → clear
        #expect(!f.server(S.A).isOverloaded)
    }

    @Test func raisingTheUpperThresholdClearsOverloadAtOnce() throws {
        var f = try Fixture(.lc)
        try f.add(S.A, weight: 1, upper: 1)
        _ = f.connect()
        #expect(f.server(S.A).isOverloaded)
        try f.edit(S.A, weight: 1, upper: 5)
        #expect(!f.server(S.A).isOverloaded)
    }

    /// Random adds, removals, edits, connections and expiries; every decision must be the kernel scan's.
    @Test(arguments: [SchedulerName.lc, .wlc, .sed, .nq, .fo, .ovf])
    func indexedSchedulersDecideAsTheKernelScan(_ name: SchedulerName) throws {
        var rng = SplitMix64(seed: 42 &+ UInt64(name.rawValue.count))
        var f = try Fixture(name)
        var pool: [String] = []
        var time = 0
        for step in 0..<3000 {
            let roll = Int(rng.next() % 100)
            if roll < 4 || pool.isEmpty {
                let s = "192.168.\(Int(rng.next() % 4)).\(Int(rng.next() % 250) + 1):80"
                if !pool.contains(s) {
                    try f.add(s, weight: Int(rng.next() % 6), upper: Int(rng.next() % 3) == 0 ? Int(rng.next() % 8) + 1 : 0)
                    pool.append(s)
                }
            } else if roll < 6 && pool.count > 1 {
                let s = pool.remove(at: Int(rng.next() % UInt64(pool.count)))
                try f.remove(s)
            } else if roll < 9 {
                let s = pool[Int(rng.next() % UInt64(pool.count))]
                let upper = Int(rng.next() % 10)
                try f.edit(s, weight: Int(rng.next() % 6), upper: upper, lower: upper > 2 ? upper - 2 : 0)
            } else if roll < 12 {
                time += Int(rng.next() % 60)
                f.table.advance(to: DirectorTime(seconds: time))
            } else {
                var scan = KernelScanScheduler(name)
                let servers = f.servers
                let expected = scan.schedule(SchedulingRequest(client: Endpoint("1.1.1.1:1")!, destination: Endpoint("10.0.0.1:80")!),
                                             servers: servers, flags: []).map { servers[$0].endpoint.description } ?? "DROP"
                let got = f.connect(at: time, until: time + Int(rng.next() % 200))
                #expect(got == expected, "step \(step)")
                if got != expected { return }
            }
        }
    }
}
