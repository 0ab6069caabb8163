/// How long a crashed node waits before it is started again: doubling from `initial` up to `maximum`, back to
/// `initial` once a run lasted `resetAfter` seconds.
public struct RestartBackoff: Sendable, Hashable {
    public var initial: Double
    public var maximum: Double
    public var resetAfter: Double

    public init(initial: Double = 0.2, maximum: Double = 10, resetAfter: Double = 10) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
    }

    /// The wait before the start that follows `failures` consecutive short runs (1 = the first crash).
    public func delay(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        var delay = initial
        for _ in 1..<min(failures, 64) where delay < maximum { delay *= 2 }
        return min(delay, maximum)
    }
}

/// One supervised node's lifecycle, without processes: started, exited, when to start it again.
public struct SupervisedNode: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        /// Not running; start at this time (seconds on the supervisor's clock).
        case waiting(until: Double)
        case running(pid: Int32, since: Double)
        /// Told to stop (scaled away or shutting down): not started again.
        case stopping(pid: Int32)
        case stopped
    }

    public let name: String
    public private(set) var phase: Phase = .waiting(until: 0)
    /// Short runs in a row (reset by a run of `backoff.resetAfter` seconds).
    public private(set) var consecutiveFailures = 0
    /// Starts after the first.
    public private(set) var restarts = 0
    public private(set) var starts = 0
    /// How the last run ended (`exit 1`, `signal 9`).
    public private(set) var lastExit: String?
    public var backoff: RestartBackoff

    public init(name: String, backoff: RestartBackoff = RestartBackoff()) {
        self.name = name
        self.backoff = backoff
    }

    /// The pid while running or stopping.
    public var pid: Int32? {
        switch phase {
        case let .running(pid, _), let .stopping(pid): return pid
        case .waiting, .stopped: return nil
        }
    }

    /// Whether the node should be started now.
    public func isDue(at now: Double) -> Bool {
        if case let .waiting(until) = phase { return now >= until }
        return false
    }

    /// The process was started.
    public mutating func started(pid: Int32, at now: Double) {
        if starts > 0 { restarts += 1 }
        starts += 1
        phase = .running(pid: pid, since: now)
    }

    /// The start failed (e.g. the program is missing): try again after the backoff.
    public mutating func failedToStart(_ reason: String, at now: Double) {
        consecutiveFailures += 1
        lastExit = reason
        phase = .waiting(until: now + backoff.delay(afterFailures: consecutiveFailures))
    }

    /// The process exited with `description` (`exit 0`, `signal 9`); returns the delay before the next start,
    /// or nil when it is not started again.
    @discardableResult
    public mutating func exited(_ description: String, at now: Double) -> Double? {
        lastExit = description
        switch phase {
        case let .running(_, since):
            consecutiveFailures = now - since >= backoff.resetAfter ? 1 : consecutiveFailures + 1
            let delay = backoff.delay(afterFailures: consecutiveFailures)
            phase = .waiting(until: now + delay)
            return delay
        case .stopping, .stopped, .waiting:
            phase = .stopped
            return nil
        }
    }

    /// Asked to stop: returns the pid to signal, if it runs.
    public mutating func stop() -> Int32? {
        switch phase {
        case let .running(pid, _):
            phase = .stopping(pid: pid)
            return pid
        case let .stopping(pid):
            return pid
        case .waiting, .stopped:
            phase = .stopped
            return nil
        }
    }
}
