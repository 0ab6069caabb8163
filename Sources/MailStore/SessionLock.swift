import Dispatch
import Logging
import NIOConcurrencyHelpers

extension Mailbox {
    /// Takes the mailbox's session lock `name` (e.g. `pop3`: RFC 1939's exclusive maildrop), a dotlock
    /// `shoal-<name>.lock` in the Maildir that every node sharing the store honours. Nil when another session
    /// holds it. The lock of a dead process on this host is taken over at once; one from another host after
    /// `staleAfter` without a ``MailboxSessionLock/refresh()``.
    public func lockSession(_ name: String, staleAfter: Duration = .seconds(900)) async throws(MailStoreError) -> MailboxSessionLock? {
        let lock = DotLock(target: path + "/shoal-" + name, hostname: store.configuration.hostname, staleAfter: staleAfter)
        let posix = store.posix, logger = store.logger
        let held = try await store.blocking("lock mailbox session", lock.path) { () throws(MailStoreError) -> HeldLockBox? in
            switch try lock.tryAcquire(posix: posix, logger: logger) {
            case let .acquired(held): return HeldLockBox(held)
            case .busy: return nil
            }
        }
        return held.map { MailboxSessionLock(held: $0.lock, store: store) }
    }
}

/// Moves a held lock out of the thread pool (it is used by one owner at a time).
private struct HeldLockBox: @unchecked Sendable {
    let lock: HeldDotLock
    init(_ lock: HeldDotLock) { self.lock = lock }
}

/// A mailbox session lock this process holds (see ``Mailbox/lockSession(_:staleAfter:)``); released once.
public final class MailboxSessionLock: @unchecked Sendable {
    private let held: HeldDotLock
    private let store: MailStore
    private let lock = NIOLock()
    /// When the lock file was last touched (monotonic nanoseconds).
    private var touched = DispatchTime.now().uptimeNanoseconds
    /// Touches closer together than this are skipped: a lock goes stale only after minutes.
    static let refreshInterval: UInt64 = 10_000_000_000

    init(held: HeldDotLock, store: MailStore) {
        self.held = held
        self.store = store
    }

    public var path: String { held.path }

    /// Marks the lock as alive (its modification time), so other hosts do not take it for stale. Blocks for a
    /// file system call at most every ``refreshInterval`` (call it from a thread that may block).
    public func refresh() {
        lock.withLock {
            let now = DispatchTime.now().uptimeNanoseconds
            guard held.isHeld, now - touched >= Self.refreshInterval else { return }
            touched = now
            held.touch()
        }
    }

    /// Removes the lock file (if it is still ours).
    public func release() {
        lock.withLock { held.release(logger: store.logger) }
    }

    deinit { held.release(logger: store.logger) }
}
