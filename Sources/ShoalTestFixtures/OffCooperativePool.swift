import NIOPosix
public import Testing

/// A test trait that runs the test's body on threads of its own instead of the Swift concurrency pool.
///
/// The pool has one thread per core (two here) and Swift Testing starts every test at once, so a test that
/// computes for seconds (a property test, a large placement table, a debug-build parser on megabytes) holds
/// one of those two threads all that time, and on a loaded machine for many times longer. Meanwhile the
/// in-process servers of other tests, whose timers and hops run on the same pool, stall: timeouts fire tens
/// of seconds late and waits for them run out. Computing tests carry this trait, so they compute on
/// threads of their own (which the kernel shares fairly with everything else) and the pool stays free.
public struct OffCooperativePool: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
        async throws {
        try await withTaskExecutorPreference(TestThreadsExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    /// Runs the test (or every test of the suite) off the Swift concurrency pool; see ``OffCooperativePool``.
    public static var offCooperativePool: Self { OffCooperativePool() }
}

/// A task executor on a thread pool of its own (eight threads, started once), apart from the concurrency pool.
public final class TestThreadsExecutor: TaskExecutor {
    public static let shared = TestThreadsExecutor()
    private let pool: NIOThreadPool

    private init() {
        pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
