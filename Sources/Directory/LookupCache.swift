import Foundation

/// A positive and negative lookup cache with a time to live, keyed by lowercased name.
public actor LookupCache<Value: Sendable> {
    struct Entry { var value: Value?; var expires: ContinuousClock.Instant }

    let positiveTTL: Duration
    let negativeTTL: Duration
    let capacity: Int
    let now: @Sendable () -> ContinuousClock.Instant
    var entries: [String: Entry] = [:]
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// A cache keeping found values for `positiveTTL` and "not found" for `negativeTTL`; zero disables either.
    public init(positiveTTL: Duration, negativeTTL: Duration, capacity: Int = 100_000,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.positiveTTL = positiveTTL
        self.negativeTTL = negativeTTL
        self.capacity = capacity
        self.now = now
    }

    /// `.some(value)` (which may be a cached "not found", nil) on a fresh hit; nil on a miss.
    public func lookup(_ key: String) -> Value?? {
        let k = key.lowercased()
        guard let e = entries[k] else { misses += 1; return nil }
        guard e.expires > now() else {
            entries[k] = nil
            misses += 1
            return nil
        }
        hits += 1
        return .some(e.value)
    }

    public func store(_ key: String, _ value: Value?) {
        let ttl = value == nil ? negativeTTL : positiveTTL
        guard ttl > .zero else { return }
        if entries.count >= capacity {
            let current = now()
            entries = entries.filter { $0.value.expires > current }
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        }
        entries[key.lowercased()] = Entry(value: value, expires: now() + ttl)
    }

    /// Forgets everything (after a change through this node).
    public func removeAll() { entries.removeAll() }
}
