import NIOConcurrencyHelpers

/// Request coalescing: concurrent misses for one key share one fetch. The first caller runs `fill`; the
/// others wait for its result (and are counted as coalesced).
public final class FillCoordinator<Value: Sendable>: Sendable {
    private let waiters = NIOLockedValueBox([String: [CheckedContinuation<Value?, Never>]]())

    public init() {}

    /// Runs `fill` once per key at a time; returns its value and whether this caller waited on another's fill.
    public func run(key: String, fill: @Sendable () async -> Value) async -> (Value, coalesced: Bool) {
        let leader: Bool = waiters.withLockedValue { waiters in
            if waiters[key] != nil { return false }
            waiters[key] = []
            return true
        }
        if !leader {
            let value: Value? = await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let joined = waiters.withLockedValue { waiters -> Bool in
                    guard waiters[key] != nil else { return false }
                    waiters[key]!.append(continuation)
                    return true
                }
                if !joined { continuation.resume(returning: nil) }
            }
            if let value { return (value, true) }
            return await run(key: key, fill: fill)
        }
        let value = await fill()
        let waiting = waiters.withLockedValue { $0.removeValue(forKey: key) ?? [] }
        for continuation in waiting { continuation.resume(returning: value) }
        return (value, false)
    }

    /// Keys with a fill under way.
    public var inFlight: Int { waiters.withLockedValue { $0.count } }
}
