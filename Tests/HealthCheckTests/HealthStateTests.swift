import HealthCheck
import Testing

/// The per-server state machine: retry, rise, fall, alpha, dynamic weights, bounded history.
@Suite struct HealthStateTests {
    static func spec(retry: Int = 0, rise: Int = 1, fall: Int = 1) -> CheckSpec {
        CheckSpec(kind: .tcp, delayLoop: 5, connectTimeout: 3, retry: retry, delayBeforeRetry: 1, rise: rise, fall: fall)
    }

    static func good(_ t: Double = 0, weight: Int? = nil) -> CheckResult {
        CheckResult(time: t, succeeded: true, message: "connected", dynamicWeight: weight)
    }

    static func bad(_ t: Double = 0) -> CheckResult { CheckResult(time: t, succeeded: false, message: "connection refused") }

    @Test func startsUpWithoutAlphaAndDownWithAlpha() {
        let plain = HealthState(spec: Self.spec(), alpha: false)
        #expect(plain.isUp)
        #expect(plain.start() == [.scheduleCheck(after: 0)])
        let alpha = HealthState(spec: Self.spec(), alpha: true)
        #expect(!alpha.isUp)
        #expect(alpha.report.isUp == false)
        #expect(alpha.report.checkKind == "tcp")
        #expect(alpha.report.lastChange == nil)
    }

    @Test func fallOneGoesDownOnFirstFailedCheck() {
        var s = HealthState(spec: Self.spec(), alpha: false)
        #expect(s.record(Self.good(1)) == [.scheduleCheck(after: 5)])
        #expect(s.record(Self.bad(2)) == [.transition(isUp: false), .scheduleCheck(after: 5)])
        #expect(!s.isUp)
        #expect(s.report.lastChange == 2)
        #expect(s.record(Self.bad(3)) == [.scheduleCheck(after: 5)])
        #expect(s.record(Self.good(4)) == [.transition(isUp: true), .scheduleCheck(after: 5)])
        #expect(s.report.lastChange == 4)
    }

    @Test func retriesComeBeforeAFailedCheckCounts() {
        var s = HealthState(spec: Self.spec(retry: 2), alpha: false)
        #expect(s.record(Self.bad()) == [.retry(after: 1)])
        #expect(s.retriesUsed == 1)
        #expect(s.record(Self.bad()) == [.retry(after: 1)])
        #expect(s.isUp)
        #expect(s.record(Self.bad()) == [.transition(isUp: false), .scheduleCheck(after: 5)])
        #expect(s.retriesUsed == 0)
        // A success during retries resets them and the check counts as good.
        var r = HealthState(spec: Self.spec(retry: 2), alpha: false)
        #expect(r.record(Self.bad()) == [.retry(after: 1)])
        #expect(r.record(Self.good()) == [.scheduleCheck(after: 5)])
        #expect(r.retriesUsed == 0)
        #expect(r.record(Self.bad()) == [.retry(after: 1)])
        #expect(r.isUp)
    }

    @Test func fallCountsConsecutiveFailedChecksOnly() {
        var s = HealthState(spec: Self.spec(fall: 3), alpha: false)
        _ = s.record(Self.bad())
        _ = s.record(Self.bad())
        #expect(s.badStreak == 2)
        _ = s.record(Self.good())  // breaks the streak
        #expect(s.badStreak == 0)
        _ = s.record(Self.bad())
        _ = s.record(Self.bad())
        #expect(s.isUp)
        #expect(s.record(Self.bad()) == [.transition(isUp: false), .scheduleCheck(after: 5)])
    }

    @Test func riseNeedsConsecutiveGoodChecksFromAlpha() {
        var s = HealthState(spec: Self.spec(rise: 2), alpha: true)
        #expect(s.record(Self.good()) == [.scheduleCheck(after: 5)])
        #expect(!s.isUp)
        #expect(s.record(Self.bad()) == [.scheduleCheck(after: 5)])  // already down: no transition
        #expect(s.goodStreak == 0)
        #expect(s.record(Self.good()) == [.scheduleCheck(after: 5)])
        #expect(s.record(Self.good(9)) == [.transition(isUp: true), .scheduleCheck(after: 5)])
        #expect(s.isUp)
        #expect(s.report.lastChange == 9)
    }

    @Test func retriedFailuresDoNotBreakARiseStreakUntilTheyCount() {
        var s = HealthState(spec: Self.spec(retry: 1, rise: 2), alpha: true)
        _ = s.record(Self.good())
        #expect(s.record(Self.bad()) == [.retry(after: 1)])
        #expect(s.goodStreak == 1)
        #expect(s.record(Self.good()) == [.transition(isUp: true), .scheduleCheck(after: 5)])
    }

    @Test func dynamicWeightChangesAreReportedOnce() {
        var s = HealthState(spec: Self.spec(), alpha: false)
        #expect(s.record(Self.good(weight: 3)) == [.weightChange(3), .scheduleCheck(after: 5)])
        #expect(s.dynamicWeight == 3)
        #expect(s.record(Self.good(weight: 3)) == [.scheduleCheck(after: 5)])
        #expect(s.record(Self.good()) == [.scheduleCheck(after: 5)])  // exit 0 keeps the weight
        #expect(s.dynamicWeight == 3)
        #expect(s.record(Self.bad()) == [.transition(isUp: false), .scheduleCheck(after: 5)])
        #expect(s.dynamicWeight == 3)
        #expect(s.record(Self.good(weight: 0)) == [.weightChange(0), .transition(isUp: true), .scheduleCheck(after: 5)])
        #expect(s.report.dynamicWeight == 0)
    }

    @Test func historyIsBoundedAndOrdered() {
        var s = HealthState(spec: Self.spec(), alpha: false, historyLimit: 3)
        for t in 1...5 { _ = s.record(Self.good(Double(t))) }
        #expect(s.history.map(\.time) == [3, 4, 5])
        #expect(s.report.history.map(\.time) == [3, 4, 5])
        #expect(s.report.lastResult?.time == 5)
        #expect(HealthState(spec: Self.spec(), alpha: false).historyLimit == 20)
    }
}
