import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// In-process coordination of every writer of a folder's `dovecot-uidlist`, with group commit.
///
/// Without it, every delivery task of the process competed for `dovecot-uidlist.lock` on its own: all but one
/// found the dotlock taken (by their own process) and slept in backoff, so concurrent deliveries to one mailbox
/// ran one at a time and mostly slept. Instead, each uidlist path has a FIFO queue here:
///
/// - A delivery announces itself (`expectDelivery`), writes and flushes its message in `tmp/` (in parallel with
///   all others), then enqueues its commit and suspends on a continuation; nothing polls inside the process.
/// - One committer task per path (started by an enqueue, ended when the queue is empty) is the only task of this
///   store that takes the dotlock, so it waits on the dotlock only while another process (or another store, or
///   Dovecot) holds it.
/// - While it holds the lock, the committer commits every delivery queued at that moment as one group
///   (`Delivery.commitBatch`: renames, one flush of `new/`, one uidlist append) and resumes each of them with its
///   own result; deliveries that queued up meanwhile form the next group in the same hold. While deliveries it
///   was told about are still being written, it keeps the lock for them instead of releasing and re-creating it.
///   A hold ends when nothing is queued or announced (the lock is then removed before the last group's waiters
///   are resumed, so a lone delivery returns with the lock gone, as before), or after `maximumHold`; after such
///   a long hold the committer pauses briefly before locking again, so that other processes polling the dotlock
///   get their turn.
/// - Each store (normally one per process) has its own queues; the scope of "in-process" is the `MailStore`.
///   (A lock file created and removed per commit costs more than it seems: ext4 without a journal skips inodes
///   freed in the last minute when it allocates one, so thousands of removed lock files in the Maildir's block
///   group make every later file creation there scan past them.)
/// - Other uidlist writers of the store (assigning UIDs while listing) queue here too, and run alone.
///
/// The dotlock still guards the files against other processes exactly as before; formats are unchanged.
/// A queued job waits at most the store's `lockTimeout` for another process's lock, counted from its enqueueing;
/// a cancelled job that is not yet being committed leaves the queue at once.
final class FolderCommitQueues: Sendable {
    /// The longest one lock hold lasts while deliveries keep coming.
    static let maximumHold = Duration.milliseconds(100)
    /// The pause after a hold that lasted `maximumHold`, leaving the lock to other processes.
    static let pauseAfterLongHold = Duration.milliseconds(2)

    /// What a job does with the locks held.
    enum Work: Sendable {
        /// A staged delivery, committed together with the other deliveries queued with it.
        case delivery(Delivery.Pending)
        /// Runs alone with `dovecot-uidlist.lock` held.
        case exclusive(operation: String, body: @Sendable (HeldDotLock) throws(MailStoreError) -> FolderListing)
    }

    enum Outcome: Sendable {
        case delivered(DeliveredMessage)
        case listed(FolderListing)
    }

    final class Job: Sendable {
        let id: UInt64
        let work: Work
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<Result<Outcome, MailStoreError>, Never>

        init(id: UInt64, work: Work, continuation: CheckedContinuation<Result<Outcome, MailStoreError>, Never>) {
            self.id = id
            self.work = work
            self.continuation = continuation
            enqueued = ContinuousClock.now
        }

        var operation: String {
            switch work {
            case .delivery: return "deliver"
            case .exclusive(let operation, _): return operation
            }
        }

        func resume(_ result: Result<Outcome, MailStoreError>) { continuation.resume(returning: result) }
    }

    private struct Folder {
        var pending: [Job] = []
        /// Deliveries announced by `expectDelivery` and not yet queued or abandoned.
        var inFlight = 0
        var committerRunning = false
        /// The committer, while it holds the lock waiting for announced deliveries.
        var waiter: (token: UInt64, continuation: CheckedContinuation<Void, Never>)?

        var isIdle: Bool { pending.isEmpty && inFlight == 0 && !committerRunning }
    }

    /// Counters for tests and diagnostics.
    struct Statistics: Sendable, Equatable {
        /// Dotlock holds (each a lock file created and removed).
        var holds = 0
        /// Groups of deliveries committed together.
        var groups = 0
        /// Deliveries committed (or failed) in those groups.
        var deliveries = 0
        /// The most deliveries in one group.
        var largestGroup = 0
    }

    private struct State {
        var statistics = Statistics()
        var nextID: UInt64 = 0
        /// By uidlist path; an entry exists while it is not idle.
        var folders: [String: Folder] = [:]
    }

    private let state = NIOLockedValueBox(State())
    /// What this store's commits last wrote to each folder's uidlist (used by `Delivery.commitBatch`).
    let uidLists = UIDListCache()

    var statistics: Statistics { state.withLockedValue { $0.statistics } }

    /// How many jobs wait in the queue of the folder whose uidlist is `uidlistPath` (not counting those being run).
    func queuedCount(uidlistPath: String) -> Int {
        state.withLockedValue { $0.folders[uidlistPath]?.pending.count ?? 0 }
    }

    /// Announces a delivery that will soon be submitted (or abandoned): a committer holding the lock waits for it.
    func expectDelivery(uidlistPath: String) {
        state.withLockedValue { $0.folders[uidlistPath, default: Folder()].inFlight += 1 }
    }

    /// Withdraws an announcement of a delivery that failed before it was submitted.
    func abandonDelivery(uidlistPath: String) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard var folder = state.folders[uidlistPath] else { return nil }
            folder.inFlight -= 1
            let waiter = folder.inFlight == 0 ? folder.waiter.take()?.continuation : nil
            state.folders[uidlistPath] = folder.isIdle ? nil : folder
            return waiter
        }
        waiter?.resume()
    }

    /// Queues `work` for the folder whose uidlist is `uidlistPath` and waits for its result. `expected`: the
    /// delivery was announced with `expectDelivery` (the announcement ends here, however the job ends).
    func submit(
        _ work: Work, expected: Bool = false, uidlistPath: String, store: MailStore
    ) async -> Result<Outcome, MailStoreError> {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Outcome, MailStoreError>, Never>) in
                let job = Job(id: id, work: work, continuation: continuation)
                let (cancelled, startCommitter, waiter) = state.withLockedValue {
                    state -> (Bool, Bool, CheckedContinuation<Void, Never>?) in
                    var folder = state.folders[uidlistPath] ?? Folder()
                    if expected { folder.inFlight -= 1 }
                    // Checked under the lock: a cancellation handler that ran before the job was queued found nothing.
                    let cancelled = Task.isCancelled
                    var start = false
                    if !cancelled {
                        folder.pending.append(job)
                        start = !folder.committerRunning
                        folder.committerRunning = true
                    }
                    let waiter = cancelled && folder.inFlight > 0 ? nil : folder.waiter.take()?.continuation
                    state.folders[uidlistPath] = folder.isIdle ? nil : folder
                    return (cancelled, start, waiter)
                }
                waiter?.resume()
                if cancelled {
                    job.resume(.failure(.cancelled(operation: job.operation, path: uidlistPath + ".lock")))
                } else if startCommitter {
                    Task.detached { await self.commitLoop(uidlistPath: uidlistPath, store: store) }
                }
            }
        } onCancel: {
            let removed = state.withLockedValue { state -> Job? in
                guard let index = state.folders[uidlistPath]?.pending.firstIndex(where: { $0.id == id }) else { return nil }
                return state.folders[uidlistPath]!.pending.remove(at: index)
            }
            // Once taken into a commit the job is not removable; it then completes normally.
            if let removed { removed.resume(.failure(.cancelled(operation: removed.operation, path: uidlistPath + ".lock"))) }
        }
    }

    /// The locks of one hold, passed between the committer and the thread pool (one user at a time).
    private struct HeldLocks: @unchecked Sendable {
        var locks: [HeldDotLock]
        var uidlist: HeldDotLock { locks[locks.count - 1] }
        /// The `maildirsize` files whose lock is held.
        var sizeTargets: Set<String> { Set(locks.dropLast().map(\.target)) }

        func release(logger: Logger) {
            for lock in locks.reversed() { lock.release(logger: logger) }
        }
    }

    /// What one attempt to lock came to.
    private enum Acquisition: Sendable {
        case held(HeldLocks)
        /// Nothing to lock for (the queue emptied), or the jobs failed because the lock could not be made.
        case nothing
        /// A lock is held by someone else (another process or store).
        case busy(path: String, holder: String?)
    }

    /// The committer of one folder: runs until its queue is empty.
    private func commitLoop(uidlistPath: String, store: MailStore) async {
        let clock = ContinuousClock()
        var backoff = Duration.milliseconds(1)
        let timeout = store.configuration.lockTimeout
        while true {
            let acquisition: Acquisition
            do {
                acquisition = try await store.blocking("lock", uidlistPath + ".lock") { () throws(MailStoreError) in
                    self.acquire(uidlistPath: uidlistPath, store: store)
                }
            } catch {
                failAll(uidlistPath: uidlistPath, error: error)
                return
            }
            var pause: Duration?
            switch acquisition {
            case .nothing:
                backoff = .milliseconds(1)
            case .held(let locks):
                backoff = .milliseconds(1)
                if await hold(locks, uidlistPath: uidlistPath, store: store) { pause = Self.pauseAfterLongHold }
            case .busy(let path, let holder):
                // Only another process (or store) can hold the lock: wait for it with backoff, as Dovecot does.
                let now = clock.now
                let (expired, earliest) = state.withLockedValue { state -> ([Job], ContinuousClock.Instant?) in
                    guard var folder = state.folders[uidlistPath] else { return ([], nil) }
                    let expired = folder.pending.filter { now - $0.enqueued >= timeout }
                    folder.pending.removeAll { now - $0.enqueued >= timeout }
                    state.folders[uidlistPath] = folder
                    return (expired, folder.pending.map(\.enqueued).min())
                }
                for job in expired {
                    job.resume(.failure(.lockTimeout(path: path, waited: now - job.enqueued, holder: holder)))
                }
                if let earliest { pause = min(backoff, earliest + timeout - now) }
                backoff = min(backoff * 2, .milliseconds(50))
            }
            let finished = state.withLockedValue { state -> Bool in
                guard var folder = state.folders[uidlistPath] else { return true }
                guard folder.pending.isEmpty else { return false }
                folder.committerRunning = false
                state.folders[uidlistPath] = folder.isIdle ? nil : folder
                return true
            }
            if finished { return }
            if let pause, pause > .zero {
                let jittered = Duration.nanoseconds(Int64.random(in: 0...pause.nanosecondsApprox) / 2) + pause / 2
                try? await Task.sleep(for: jittered)
            }
        }
    }

    /// On the thread pool: takes the locks the queue's head needs (all or none, without waiting): the uidlist's,
    /// after the `maildirsize.lock` of each Maildir whose quota the queued deliveries check (in path order).
    private func acquire(uidlistPath: String, store: MailStore) -> Acquisition {
        let posix = store.posix, logger = store.logger
        let plan = state.withLockedValue { state -> (locks: [DotLock], deliveries: Bool)? in
            guard let head = state.folders[uidlistPath]?.pending.first else { return nil }
            guard case .delivery = head.work else { return ([store.dotLock(uidlistPath)], false) }
            var sizeLocks = Set<String>()
            for job in state.folders[uidlistPath]!.pending {
                guard case .delivery(let pending) = job.work else { break }
                if pending.delivery.hasQuota { sizeLocks.insert(pending.delivery.maildir.maildirSizePath) }
            }
            return (sizeLocks.sorted().map(store.dotLock) + [store.dotLock(uidlistPath)], true)
        }
        guard let plan else { return .nothing }
        var held = HeldLocks(locks: [])
        do throws(MailStoreError) {
            for lock in plan.locks {
                switch try lock.tryAcquire(posix: posix, logger: logger) {
                case .acquired(let lock): held.locks.append(lock)
                case .busy(let holder):
                    held.release(logger: logger)
                    return .busy(path: lock.path, holder: holder)
                }
            }
        } catch {
            // The lock cannot be made at all (e.g. an I/O error): the jobs it was for fail with that error.
            held.release(logger: logger)
            let jobs = state.withLockedValue { state -> [Job] in
                guard let pending = state.folders[uidlistPath]?.pending else { return [] }
                let count = plan.deliveries ? pending.prefix { if case .delivery = $0.work { true } else { false } }.count : 1
                state.folders[uidlistPath]!.pending.removeFirst(count)
                return Array(pending.prefix(count))
            }
            for job in jobs { job.resume(.failure(error)) }
            return .nothing
        }
        state.withLockedValue { $0.statistics.holds += 1 }
        return .held(held)
    }

    /// What to do next with the locks held.
    private enum Next {
        case deliveries([Job])
        case exclusive(Job)
        /// Nothing queued.
        case idle
        /// The head needs a lock not held.
        case blocked
    }

    private func next(uidlistPath: String, sizeTargets: Set<String>) -> Next {
        state.withLockedValue { state -> Next in
            guard let pending = state.folders[uidlistPath]?.pending, let head = pending.first else { return .idle }
            if case .exclusive = head.work {
                state.folders[uidlistPath]!.pending.removeFirst()
                return .exclusive(head)
            }
            let count = pending.prefix { job in
                guard case .delivery(let pending) = job.work else { return false }
                return !pending.delivery.hasQuota || sizeTargets.contains(pending.delivery.maildir.maildirSizePath)
            }.count
            guard count > 0 else { return .blocked }
            state.folders[uidlistPath]!.pending.removeFirst(count)
            state.statistics.groups += 1
            state.statistics.deliveries += count
            state.statistics.largestGroup = max(state.statistics.largestGroup, count)
            return .deliveries(Array(pending.prefix(count)))
        }
    }

    /// How a hold goes on after a job.
    private enum HoldEnd: Sendable {
        case goOn
        /// The locks were released: nothing is queued or announced.
        case released
        /// The uidlist lock was taken over by another process.
        case lost
    }

    /// On the thread pool, right after a job and before its waiters are resumed: releases the locks when nothing
    /// is queued or announced, so that a caller whose delivery returns finds the lock gone (as before group
    /// commit) unless other deliveries of this store are under way.
    private func finish(_ end: HoldEnd, _ locks: HeldLocks, uidlistPath: String, logger: Logger) -> HoldEnd {
        guard end == .goOn else { return end }
        let idle = state.withLockedValue { state -> Bool in
            guard let folder = state.folders[uidlistPath] else { return true }
            return folder.pending.isEmpty && folder.inFlight == 0
        }
        guard idle || !locks.uidlist.isHeld else { return .goOn }
        locks.release(logger: logger)
        return .released
    }

    /// Runs queued jobs while holding `locks`, then releases them. Returns whether the hold ended at
    /// `maximumHold` with work still queued (the caller then pauses before locking again).
    private func hold(_ locks: HeldLocks, uidlistPath: String, store: MailStore) async -> Bool {
        let logger = store.logger
        let clock = ContinuousClock(), deadline = clock.now + Self.maximumHold
        let sizeTargets = locks.sizeTargets
        var cutShort = false
        holding: while true {
            // A uidlist rewrite renames the lock file over the list, which ends the lock: lock again for more.
            guard locks.uidlist.isHeld else { break holding }
            switch next(uidlistPath: uidlistPath, sizeTargets: sizeTargets) {
            case .deliveries(let jobs):
                let pendings = jobs.map { job -> Delivery.Pending in
                    guard case .delivery(let pending) = job.work else { fatalError("only deliveries are grouped") }
                    return pending
                }
                let end: HoldEnd
                do {
                    end = try await store.blocking("commit", uidlistPath) { () throws(MailStoreError) in
                        let results = Delivery.commitBatch(
                            pendings, uidlistPath: uidlistPath, uidlistLock: locks.uidlist, store: store)
                        let lost = results.contains { if case .failure(.lockLost) = $0 { true } else { false } }
                        let end = self.finish(lost ? .lost : .goOn, locks, uidlistPath: uidlistPath, logger: logger)
                        for (job, result) in zip(jobs, results) { job.resume(result.map(Outcome.delivered)) }
                        return end
                    }
                } catch {
                    for job in jobs { job.resume(.failure(error)) }
                    break holding
                }
                if end == .released { return false }
                if end == .lost { break holding }
            case .exclusive(let job):
                guard case .exclusive(_, let body) = job.work else { continue }
                let end: HoldEnd
                do {
                    end = try await store.blocking(job.operation, uidlistPath) { () throws(MailStoreError) in
                        let result: Result<Outcome, MailStoreError>
                        do throws(MailStoreError) {
                            result = .success(.listed(try body(locks.uidlist)))
                        } catch {
                            result = .failure(error)
                        }
                        let end = self.finish(.goOn, locks, uidlistPath: uidlistPath, logger: logger)
                        job.resume(result)
                        return end
                    }
                } catch {
                    job.resume(.failure(error))
                    break holding
                }
                if end == .released { return false }
            case .blocked:
                break holding
            case .idle:
                // Keep the lock for deliveries being written now, rather than release and re-create it.
                guard clock.now < deadline, await waitForDelivery(uidlistPath: uidlistPath, until: deadline) else {
                    break holding
                }
                continue holding
            }
            if clock.now >= deadline {
                cutShort = queuedCount(uidlistPath: uidlistPath) > 0
                break holding
            }
        }
        do {
            try await store.blocking("unlock", uidlistPath + ".lock") { () throws(MailStoreError) in
                locks.release(logger: logger)
            }
        } catch {
            locks.release(logger: logger)
        }
        return cutShort
    }

    /// With the lock held and nothing queued: waits until a delivery is queued, every announced delivery is
    /// queued or abandoned, or `deadline`. False when there was nothing to wait for.
    private func waitForDelivery(uidlistPath: String, until deadline: ContinuousClock.Instant) async -> Bool {
        let token = state.withLockedValue { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        var waited = false
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = state.withLockedValue { state -> Bool in
                guard let folder = state.folders[uidlistPath], folder.pending.isEmpty, folder.inFlight > 0 else {
                    return false
                }
                state.folders[uidlistPath]!.waiter = (token, continuation)
                return true
            }
            guard wait else {
                continuation.resume()
                return
            }
            waited = true
            Task.detached {
                try? await Task.sleep(until: deadline, clock: .continuous)
                let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                    guard state.folders[uidlistPath]?.waiter?.token == token else { return nil }
                    return state.folders[uidlistPath]!.waiter.take()?.continuation
                }
                waiter?.resume()
            }
        }
        return waited
    }

    /// Fails every queued job (the thread pool is gone) and ends the committer.
    private func failAll(uidlistPath: String, error: MailStoreError) {
        let jobs = state.withLockedValue { state -> [Job] in
            guard var folder = state.folders[uidlistPath] else { return [] }
            let jobs = folder.pending
            folder.pending = []
            folder.committerRunning = false
            state.folders[uidlistPath] = folder.isIdle ? nil : folder
            return jobs
        }
        for job in jobs { job.resume(.failure(error)) }
    }
}
