public import NIOPosix

/// A task executor on one of the stores' thread pools. A task that prefers it (`Task(executorPreference:)`) runs
/// on the pool's threads, and the store's blocking file work then runs in place instead of being handed to the
/// pool and waited for: an IMAP or POP3 command's work costs one hop off the event loop and one back, where
/// the global executor would add two more.
public final class FilePoolExecutor: TaskExecutor {
    let pool: NIOThreadPool
    /// The executor whose job the current thread is running (nil off the pools).
    private static let running = ThreadSpecificVariable<FilePoolExecutor>()

    /// The executor of `MailStore.fileThreadPool`.
    public static let shared = FilePoolExecutor(pool: MailStore.fileThreadPool)

    /// `pool` must be started.
    public init(pool: NIOThreadPool) {
        self.pool = pool
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { state in
            // A stopped pool runs the work item at once, on the submitting thread: not one of the pool's.
            if case .active = state { Self.running.currentValue = self }
            job.runSynchronously(on: self.asUnownedTaskExecutor())
            Self.running.currentValue = nil
        }
    }

    /// Whether the current thread runs a job of an executor on `pool` (blocking work may run in place).
    static func isRunning(on pool: NIOThreadPool) -> Bool {
        running.currentValue?.pool === pool
    }
}
