import Foundation

/// Runs blocking work (waiting for a child process, reading its pipe) on a thread of its own.
///
/// Tests must not block the Swift concurrency pool (it has one thread per core, two here): a test that
/// waits there for a client of an in-process server starves that server's tasks, and with two such
/// tests at once the whole run deadlocks.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
