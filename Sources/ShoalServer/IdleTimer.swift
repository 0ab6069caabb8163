public import NIOCore

/// The one idle timer of every connection (line protocols, the TCP proxy, HTTP): activity only notes its time;
/// the scheduled task, when due, re-arms itself for the rest of the timeout if there was activity since,
/// and otherwise calls `onTimeout`. Cancelling and scheduling a task on every read would cost more than
/// the timeout is worth. Likewise a longer timeout keeps the task already scheduled (it wakes early and
/// re-arms), and ``pause()`` leaves it in place (it wakes once and finds nothing to do), so a connection that
/// switches between timeouts on every request (HTTP keep-alive: idle, head, idle, ...) schedules a task only
/// when one comes due or a shorter timeout starts.
///
/// Confined to its event loop. `cancel()` must run when the connection closes: a pending task keeps
/// whatever `onTimeout` captures alive until it comes due.
public final class IdleTimer {
    private let eventLoop: any EventLoop
    private let onTimeout: () -> Void
    private var scheduled: Scheduled<Void>?
    /// When the scheduled task runs (meaningful while `scheduled` is set).
    private var scheduledAt: NIODeadline = .distantPast
    private var timeout: TimeAmount = .zero
    private var lastActivity: NIODeadline
    /// Whether a timeout is being enforced (false after `pause()` and `cancel()`, and once it fired).
    private var enforcing = false

    public init(eventLoop: any EventLoop, onTimeout: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onTimeout = onTimeout
        lastActivity = eventLoop.now
    }

    /// True while a timeout is pending.
    public var isArmed: Bool { enforcing }

    /// Notes activity: the timeout counts from now.
    public func touch() {
        lastActivity = eventLoop.now
    }

    /// Notes activity and makes sure `timeout` is enforced from now (re-scheduling only when the task
    /// already scheduled would come too late).
    public func arm(timeout: TimeAmount) {
        touch()
        self.timeout = timeout
        enforcing = true
        let due = lastActivity + timeout
        if scheduled != nil, scheduledAt <= due { return }
        scheduled?.cancel()
        schedule(at: due)
    }

    /// Stops enforcing the timeout until the next `arm`, leaving the scheduled task (if any) to wake and find
    /// nothing to do: cheaper than `cancel()` for a pause that usually ends before the task comes due.
    public func pause() {
        enforcing = false
    }

    /// Stops the timer (nothing is pending afterwards).
    public func cancel() {
        enforcing = false
        scheduled?.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        scheduledAt = deadline
        scheduled = eventLoop.scheduleTask(deadline: deadline) {
            let timer = bound.value
            timer.scheduled = nil
            guard timer.enforcing else { return }
            let due = timer.lastActivity + timer.timeout
            if due > timer.eventLoop.now {
                timer.schedule(at: due)
                return
            }
            timer.enforcing = false
            timer.onTimeout()
        }
    }
}

@available(*, unavailable)
extension IdleTimer: Sendable {}
