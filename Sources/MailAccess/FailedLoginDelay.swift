/// How long to hold back the answer to a failed login, per client address: nothing for the first
/// failures, then doubling up to a cap; an address's count is forgotten after a quiet period. Pure (the
/// caller passes the time), so it is tested without clocks.
///
/// Like Dovecot's `auth_failure_delay`, it slows password guessing from one address without penalising
/// other clients; it never refuses an answer.
public struct FailedLoginDelay: Sendable {
    /// Failures from one address that are answered at once.
    public var freeFailures: Int
    /// The delay after the first failure beyond the free ones, in seconds; doubled for each further one.
    public var initialDelay: Double
    /// The longest delay, in seconds.
    public var maximumDelay: Double
    /// Seconds without a failure after which an address starts afresh.
    public var forgetAfter: Double
    /// Addresses remembered at most (the oldest are forgotten first), so a flood cannot grow it without bound.
    public var maximumAddresses: Int

    private var failures: [String: (count: Int, last: Double)] = [:]

    public init(freeFailures: Int = 1, initialDelay: Double = 1, maximumDelay: Double = 8, forgetAfter: Double = 300,
                maximumAddresses: Int = 10_000) {
        self.freeFailures = freeFailures
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.forgetAfter = forgetAfter
        self.maximumAddresses = maximumAddresses
    }

    /// Records a failed login from `address` at `now` (seconds) and returns how long to wait before answering.
    public mutating func failed(address: String, now: Double) -> Double {
        var entry = failures[address].flatMap { now - $0.last < forgetAfter ? $0 : nil } ?? (count: 0, last: now)
        entry.count += 1
        entry.last = now
        if failures[address] == nil && failures.count >= maximumAddresses { forgetOldest(now: now) }
        failures[address] = entry
        let beyond = entry.count - freeFailures
        guard beyond > 0 else { return 0 }
        return min(maximumDelay, initialDelay * Double(1 << min(beyond - 1, 30)))
    }

    /// A successful login clears the address's count.
    public mutating func succeeded(address: String) {
        failures[address] = nil
    }

    /// How many addresses are remembered.
    public var trackedAddresses: Int { failures.count }

    private mutating func forgetOldest(now: Double) {
        failures = failures.filter { now - $0.value.last < forgetAfter }
        if failures.count >= maximumAddresses, let oldest = failures.min(by: { $0.value.last < $1.value.last }) {
            failures[oldest.key] = nil
        }
    }
}
