public import NIOCore

/// The one idle timer of every connection (line protocols, the TCP proxy): activity only notes its time;
/// the scheduled task, when due, re-arms itself for the rest of the timeout if there was activity since,
/// and otherwise calls `onTimeout`. Cancelling and scheduling a task on every read would cost more than
/// the timeout is worth.
///
/// Confined to its event loop. `cancel()` must run when the connection closes: a pending task keeps
/// whatever `onTimeout` captures alive until it comes due.
public final class IdleTimer {
    private let eventLoop: any EventLoop
    private let onTimeout: () -> Void
    private var scheduled: Scheduled<Void>?
    private var timeout: TimeAmount = .zero
    private var lastActivity: NIODeadline

    public init(eventLoop: any EventLoop, onTimeout: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onTimeout = onTimeout
        lastActivity = eventLoop.now
    }

    /// True while a timeout is pending.
    public var isArmed: Bool { scheduled != nil }

    /// Notes activity: the timeout counts from now.
    public func touch() {
        lastActivity = eventLoop.now
    }

    /// Notes activity and makes sure `timeout` is enforced (re-scheduling only when the timeout changes).
    public func arm(timeout: TimeAmount) {
        touch()
        if scheduled != nil && self.timeout == timeout { return }
        scheduled?.cancel()
        self.timeout = timeout
        schedule(at: lastActivity + timeout)
    }

    /// Stops the timer (nothing is pending afterwards).
    public func cancel() {
        scheduled?.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        scheduled = eventLoop.scheduleTask(deadline: deadline) {
            let timer = bound.value
            let due = timer.lastActivity + timer.timeout
            if due > timer.eventLoop.now {
                timer.schedule(at: due)
                return
            }
            timer.scheduled = nil
            timer.onTimeout()
        }
    }
}

@available(*, unavailable)
extension IdleTimer: Sendable {}
