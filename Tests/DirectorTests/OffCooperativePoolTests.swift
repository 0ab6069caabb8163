import Foundation
import ShoalTestFixtures
import Testing

/// The `.offCooperativePool` trait the computing suites carry really moves their bodies off the Swift
/// concurrency pool, onto `TestThreadsExecutor`'s threads (an NIOThreadPool's, named `TP-#n`).
@Suite(.offCooperativePool) struct OffCooperativePoolTests {
    /// The kernel's name for the calling thread.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aSynchronousTestRunsOnTheTestThreads() {
        #expect(Self.threadName().hasPrefix("TP-#"), "ran on \(Self.threadName())")
    }

    @Test func anAsynchronousTestComesBackToThemAfterASuspension() async throws {
        try await Task.sleep(for: .milliseconds(10))
        #expect(Self.threadName().hasPrefix("TP-#"), "ran on \(Self.threadName())")
    }
}

/// Without the trait a test runs on the concurrency pool (the contrast that makes the test above mean something).
@Suite struct OnCooperativePoolTests {
    @Test func aTestWithoutTheTraitRunsOnThePool() {
        #expect(!OffCooperativePoolTests.threadName().hasPrefix("TP-#"), "ran on \(OffCooperativePoolTests.threadName())")
    }
}
