import NIOConcurrencyHelpers

/// Request coalescing: concurrent misses for one key share one fetch. The first caller runs `fill`; the others
/// wait for its value (and are counted as coalesced). A fill may hand its value over early (a response head
/// whose body is still streaming in) with a `settle` step: until that step ends, later callers get the same
/// value at once instead of starting a fetch of their own.
public final class FillCoordinator<Value: Sendable>: Sendable {
    private enum Entry {
        /// The fill runs; these callers wait for its value.
        case pending([CheckedContinuation<Value?, Never>])
        /// The value is out and its settle step runs; these callers wait for it to end.
        case published(Value, settling: [CheckedContinuation<Void, Never>])
    }

    private let entries = NIOLockedValueBox([String: Entry]())

    /// What a caller of `run` turns out to be.
    private enum Role {
        case leader, waiter
        case shared(Value)
    }

    public init() {}

    /// Runs `fill` once per key at a time; returns its value and whether this caller shared another's fill.
    public func run(key: String, fill: @Sendable () async -> Value) async -> (Value, coalesced: Bool) {
        await run(key: key) { () async -> (Value, settle: (@Sendable () async -> Void)?) in (await fill(), nil) }
    }

    /// Runs `fill` once per key at a time; its `settle` step, when given, runs in a task of its own and keeps
    /// the key joined to the value until it returns.
    public func run(key: String, fill: @Sendable () async -> (Value, settle: (@Sendable () async -> Void)?)) async -> (Value, coalesced: Bool) {
        let role: Role = entries.withLockedValue { entries in
            switch entries[key] {
            case nil:
                entries[key] = .pending([])
                return .leader
            case .pending?: return .waiter
            case let .published(value, _)?: return .shared(value)
            }
        }
        switch role {
        case let .shared(value):
            return (value, true)
        case .waiter:
            let value: Value? = await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let joined: Value?? = entries.withLockedValue { entries in
                    switch entries[key] {
                    case let .pending(waiting)?:
                        entries[key] = .pending(waiting + [continuation])
                        return .some(nil)
                    case let .published(value, _)?: return .some(value)
                    case nil: return nil
                    }
                }
                switch joined {
                case .some(.some(let value)): continuation.resume(returning: value)
                case .some(.none): break
                case .none: continuation.resume(returning: nil)
                }
            }
            if let value { return (value, true) }
            return await run(key: key, fill: fill)
        case .leader:
            let (value, settle) = await fill()
            let waiting: [CheckedContinuation<Value?, Never>] = entries.withLockedValue { entries in
                guard case let .pending(waiting)? = entries[key] else { return [] }
                if settle == nil { entries[key] = nil } else { entries[key] = .published(value, settling: []) }
                return waiting
            }
            for continuation in waiting { continuation.resume(returning: value) }
            if let settle {
                Task {
                    await settle()
                    let settling = self.entries.withLockedValue { entries -> [CheckedContinuation<Void, Never>] in
                        defer { entries[key] = nil }
                        guard case let .published(_, settling)? = entries[key] else { return [] }
                        return settling
                    }
                    for continuation in settling { continuation.resume() }
                }
            }
            return (value, false)
        }
    }

    /// Keys with a fill under way (or settling).
    public var inFlight: Int { entries.withLockedValue { $0.count } }

    /// The value a fill for `key` has published and is still settling, if any.
    public func published(key: String) -> Value? {
        entries.withLockedValue { entries in
            if case let .published(value, _)? = entries[key] { return value }
            return nil
        }
    }

    /// Returns once the published fill of `key` (if there is one) has settled.
    public func settled(key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits = entries.withLockedValue { entries -> Bool in
                guard case let .published(value, settling)? = entries[key] else { return false }
                entries[key] = .published(value, settling: settling + [continuation])
                return true
            }
            if !waits { continuation.resume() }
        }
    }

    /// Callers waiting for a fill's value now.
    public var waiting: Int {
        entries.withLockedValue { entries in
            entries.values.reduce(0) { total, entry in
                if case let .pending(waiting) = entry { return total + waiting.count }
                return total
            }
        }
    }
}
