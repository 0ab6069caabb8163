@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// rr and wrr against sequences worked by hand from net/netfilter/ipvs/ip_vs_rr.c and ip_vs_wrr.c.
@Suite(.offCooperativePool) struct RoundRobinTests {
    @Test func rrScansTheListNewestFirstAndWraps() throws {
        var f = try Fixture(.rr)
        try f.add(S.A); try f.add(S.B); try f.add(S.C)  // kernel list: C, B, A
        #expect(f.decisions(6) == [S.C, S.B, S.A, S.C, S.B, S.A])
    }

    @Test func rrSkipsQuiescedAndOverloadedServers() throws {
        var f = try Fixture(.rr)
        try f.add(S.A); try f.add(S.B); try f.add(S.C)
        try f.edit(S.B, weight: 0)
        #expect(f.decisions(4) == [S.C, S.A, S.C, S.A])
        // rr has no upd_dest hook: the position stays on A, so the scan resumes at the head (C).
        try f.edit(S.B, weight: 1)
        try f.edit(S.A, weight: 1, upper: 3)
        // A already has 2 connections; its third reaches the upper threshold and sets the overload flag.
        #expect(f.decisions(5) == [S.C, S.B, S.A, S.C, S.B])
        #expect(f.server(S.A).isOverloaded)
        #expect(f.decisions(2) == [S.C, S.B])
    }

    @Test func rrRemovingTheLastChosenServerResumesFromItsPredecessor() throws {
        var f = try Fixture(.rr)
        try f.add(S.A); try f.add(S.B); try f.add(S.C)  // C, B, A
        #expect(f.decisions(4) == [S.C, S.B, S.A, S.C])
        try f.remove(S.C)  // sched_data = C's predecessor = the list head
        #expect(f.decisions(1) == [S.B])
        try f.add(S.D)  // D, B, A; rr has no add_dest hook, the pointer stays on B
        #expect(f.decisions(4) == [S.A, S.D, S.B, S.A])
        try f.remove(S.D)  // not the last chosen: no effect on the position
        #expect(f.decisions(2) == [S.B, S.A])
    }

    @Test func rrWithNoUsableServerDrops() throws {
        var f = try Fixture(.rr)
        #expect(f.connect() == "DROP")
        try f.add(S.A, weight: 0)
        #expect(f.connect() == "DROP")
    }

    @Test func wrrStartsFromTheStateTheAddsLeftAndSteps() throws {
        // Adding A(4), B(3), C(2) one at a time: after A, di=4 mw=1 cw=1; after B, di=1 mw=4 and cw stays 1;
        // after C, the same. So the first pass serves every server once at cw=1 before cw wraps to 4.
        var f = try Fixture(.wrr)
        try f.add(S.A, weight: 4); try f.add(S.B, weight: 3); try f.add(S.C, weight: 2)
        let expected = [S.C, S.B, S.A,  // cw = 1
                        S.A,  // cw = 4
                        S.B, S.A,  // cw = 3
                        S.C, S.B, S.A,  // cw = 2
                        S.C, S.B, S.A,  // cw = 1
                        S.A, S.B, S.A]
        #expect(f.decisions(15) == expected)
    }

    @Test func wrrWithCommonDivisorStepsByTheGCD() throws {
        // A(2) then B(4): di=2, mw=3, cw clamps to (1/2)*2+1 = 1; list is B, A.
        var f = try Fixture(.wrr)
        try f.add(S.A, weight: 2); try f.add(S.B, weight: 4)
        #expect(f.decisions(9) == [S.B, S.A, S.B, S.B, S.A, S.B, S.B, S.A, S.B])
    }

    @Test func wrrWeightsSetProportions() throws {
        var f = try Fixture(.wrr)
        try f.add(S.A, weight: 5); try f.add(S.B, weight: 3); try f.add(S.C, weight: 1)
        let picks = f.decisions(9 * 20)
        #expect(picks.filter { $0 == S.A }.count == 100)
        #expect(picks.filter { $0 == S.B }.count == 60)
        #expect(picks.filter { $0 == S.C }.count == 20)
    }

    @Test func wrrEditResetsToTheHeadAndQuiescedServersGetNothing() throws {
        var f = try Fixture(.wrr)
        try f.add(S.A, weight: 1); try f.add(S.B, weight: 1)  // B, A
        #expect(f.decisions(3) == [S.B, S.A, S.B])
        try f.edit(S.B, weight: 0)  // dest_changed: head, di=1, mw=1
        #expect(f.decisions(3) == [S.A, S.A, S.A])
        try f.edit(S.A, weight: 0)
        #expect(f.connect() == "DROP")
    }

    @Test func wrrAllOverloadedDrops() throws {
        var f = try Fixture(.wrr)
        try f.add(S.A, weight: 2, upper: 1)
        #expect(f.connect() == S.A)
        #expect(f.server(S.A).isOverloaded)
        #expect(f.connect() == "DROP")
    }
}
