import MailAccess
import Testing

/// The per-address delay after failed logins, on an injected clock.
@Suite struct FailedLoginDelayTests {
    @Test func theFirstFailureIsFreeThenTheDelayDoublesUpToTheCap() {
        var delay = FailedLoginDelay(freeFailures: 1, initialDelay: 1, maximumDelay: 8, forgetAfter: 300)
        let waits = (0..<7).map { delay.failed(address: "192.0.2.1", now: Double($0)) }
        #expect(waits == [0, 1, 2, 4, 8, 8, 8])
    }

    @Test func otherAddressesAreNotPenalised() {
        var delay = FailedLoginDelay()
        for n in 0..<5 { _ = delay.failed(address: "192.0.2.1", now: Double(n)) }
        #expect(delay.failed(address: "192.0.2.2", now: 5) == 0)
    }

    @Test func successAndAQuietPeriodStartTheCountAfresh() {
        var delay = FailedLoginDelay(freeFailures: 0, initialDelay: 1, maximumDelay: 8, forgetAfter: 60)
        #expect(delay.failed(address: "a", now: 0) == 1)
        #expect(delay.failed(address: "a", now: 1) == 2)
        delay.succeeded(address: "a")
        #expect(delay.failed(address: "a", now: 2) == 1)
        #expect(delay.failed(address: "a", now: 100) == 1)  // 98 s of quiet: forgotten
    }

    @Test func aFloodOfAddressesStaysBounded() {
        var delay = FailedLoginDelay(maximumAddresses: 100)
        for n in 0..<10_000 { _ = delay.failed(address: "10.0.\(n / 256).\(n % 256)", now: Double(n) / 1000) }
        #expect(delay.trackedAddresses <= 100)
    }
}
