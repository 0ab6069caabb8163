/// When the per-thread sweep of the epoll engine is due, and how long the thread may wait for events meanwhile.
public struct SweepSchedule: Sendable, Hashable {
    /// Time between sweeps (engine clock units, milliseconds in the engine).
    public let interval: Int64
    public private(set) var next: Int64

    public init(interval: Int64, now: Int64) {
        self.interval = max(1, interval)
        next = now + self.interval
    }

    /// True (and the next sweep is scheduled) when a sweep is due at `now`.
    public mutating func due(now: Int64) -> Bool {
        guard now >= next else { return false }
        next = now + interval
        return true
    }

    /// How long `epoll_wait` may block at `now` before the next sweep (0 when it is due).
    public func wait(now: Int64) -> Int64 { max(0, next - now) }
}
