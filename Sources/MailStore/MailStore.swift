#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import NIOPosix

/// The shared Maildir++ store of a mail node: hands out mailboxes and runs all their file work on a thread pool.
public final class MailStore: Sendable {
    public let configuration: MailStoreConfiguration
    let threadPool: NIOThreadPool
    /// Runs tasks on `threadPool`, so that their file work runs in place (see ``FilePoolExecutor``).
    public let executor: FilePoolExecutor
    let logger: Logger
    /// Per-folder queues through which this store's tasks reach `dovecot-uidlist.lock` (see `FolderCommitQueues`).
    let commitQueues = FolderCommitQueues()
    /// The folders' last listings, reused while their directories and index files are unchanged.
    let listings = FolderListingCache()
    /// The inotify watches IMAP IDLE sessions share (``Mailbox/watchChanges(folder:_:)``).
    let folderWatches: FolderWatchHub

    /// `threadPool` must be started; it defaults to the stores' own `fileThreadPool`.
    public init(
        configuration: MailStoreConfiguration,
        threadPool: NIOThreadPool = MailStore.fileThreadPool,
        logger: Logger = Logger(label: "shoal.mailstore")
    ) {
        self.configuration = configuration
        self.threadPool = threadPool
        executor = threadPool === MailStore.fileThreadPool ? FilePoolExecutor.shared : FilePoolExecutor(pool: threadPool)
        self.logger = logger
        folderWatches = FolderWatchHub(logger: logger)
    }

    /// The mailbox of `owner`; fails when the login, domain or location cannot name a directory.
    public func mailbox(for owner: MailboxOwner) throws(MailStoreError) -> Mailbox {
        Mailbox(store: self, owner: owner, path: try owner.maildirPath(root: configuration.root))
    }

    /// Delivers one message to several mailboxes, each getting its own copy; one result per owner, in order.
    public func deliver(
        _ message: some Collection<UInt8>, to owners: [MailboxOwner], folder: String = "INBOX"
    ) async -> [Result<DeliveredMessage, MailStoreError>] {
        let bytes = Array(message)
        var results: [Result<DeliveredMessage, MailStoreError>] = []
        for owner in owners {
            do throws(MailStoreError) {
                results.append(.success(try await mailbox(for: owner).deliver(bytes, folder: folder)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// The default pool for the stores' blocking file work, started on first use and never stopped (like NIO's
    /// singleton pool). Its threads mostly wait for `fsync`, so it has more of them than there are cores (NIO's
    /// shared pool has one per core): concurrent deliveries flush their files in parallel, which the disk
    /// handles better than one after another, and the store's waiting does not hold up other users of NIO's pool.
    public static let fileThreadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(8, 2 * sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        pool.start()
        return pool
    }()

    var posix: POSIX { POSIX(permissions: configuration.permissions) }

    func dotLock(_ target: String) -> DotLock {
        DotLock(target: target, hostname: configuration.hostname, staleAfter: configuration.staleLockTimeout)
    }

    /// Runs blocking `body` on the thread pool, keeping its typed error.
    func blocking<T: Sendable>(
        _ operation: String, _ path: String, _ body: @escaping @Sendable () throws(MailStoreError) -> T
    ) async throws(MailStoreError) -> T {
        // A task on this pool's executor is on one of its threads already: the work runs here.
        if FilePoolExecutor.isRunning(on: threadPool) { return try body() }
        let result: Result<T, MailStoreError>
        do {
            result = try await threadPool.runIfActive { () -> Result<T, MailStoreError> in
                do throws(MailStoreError) { return .success(try body()) } catch { return .failure(error) }
            }
        } catch is CancellationError {
            throw .cancelled(operation: operation, path: path)
        } catch {
            throw .threadPoolInactive(operation: operation, path: path)
        }
        return try result.get()
    }

    /// Runs `body` on the thread pool holding every lock in `locks` (taken in order, all or none).
    /// While another process holds one, waits with jittered backoff between attempts, up to the lock timeout.
    func withLocks<T: Sendable>(
        _ locks: [DotLock], operation: String,
        _ body: @escaping @Sendable ([HeldDotLock]) throws(MailStoreError) -> T
    ) async throws(MailStoreError) -> T {
        let clock = ContinuousClock()
        let start = clock.now
        var backoff = Duration.milliseconds(1)
        let posix = self.posix, logger = self.logger
        while true {
            let outcome = try await blocking(operation, locks.last?.path ?? "") { () throws(MailStoreError) -> LockOutcome<T> in
                var held: [HeldDotLock] = []
                defer { for lock in held.reversed() { lock.release(logger: logger) } }
                for lock in locks {
                    switch try lock.tryAcquire(posix: posix, logger: logger) {
                    case .acquired(let lock): held.append(lock)
                    case .busy(let holder): return .busy(path: lock.path, holder: holder)
                    }
                }
                return .done(try body(held))
            }
            switch outcome {
            case .done(let value):
                return value
            case .busy(let path, let holder):
                let waited = clock.now - start
                guard waited < configuration.lockTimeout else {
                    throw .lockTimeout(path: path, waited: waited, holder: holder)
                }
                let pause = min(backoff, configuration.lockTimeout - waited)
                let jittered = Duration.nanoseconds(Int64.random(in: 0...pause.nanosecondsApprox) / 2) + pause / 2
                do { try await Task.sleep(for: jittered) } catch { throw .cancelled(operation: operation, path: path) }
                backoff = min(backoff * 2, .milliseconds(50))
            }
        }
    }
}

/// What one locked attempt came to: the body's result, or which lock was busy and who held it.
enum LockOutcome<T: Sendable>: Sendable {
    case done(T)
    case busy(path: String, holder: String?)
}

extension Duration {
    var nanosecondsApprox: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
