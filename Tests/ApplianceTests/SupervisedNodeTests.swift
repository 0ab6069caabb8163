import Appliance
import Testing

/// The supervisor's pure part: when a crashed node starts again, and when it does not.
@Suite struct SupervisedNodeTests {
    @Test func backoffDoublesUpToTheMaximum() {
        let backoff = RestartBackoff(initial: 0.2, maximum: 5, resetAfter: 10)
        #expect(backoff.delay(afterFailures: 0) == 0)
        #expect(backoff.delay(afterFailures: 1) == 0.2)
        #expect(backoff.delay(afterFailures: 2) == 0.4)
        #expect(backoff.delay(afterFailures: 3) == 0.8)
        #expect(backoff.delay(afterFailures: 6) == 5)
        #expect(backoff.delay(afterFailures: 1000) == 5)
    }

    @Test func aCrashLoopBacksOffAndALongRunResetsIt() {
        var node = SupervisedNode(name: "mail-1", backoff: RestartBackoff(initial: 1, maximum: 8, resetAfter: 10))
        #expect(node.isDue(at: 0))
        node.started(pid: 100, at: 0)
        #expect(node.pid == 100)
        #expect(!node.isDue(at: 0))
        #expect(node.exited("exit 1", at: 0.5) == 1)
        #expect(node.pid == nil)
        #expect(!node.isDue(at: 1.4))
        #expect(node.isDue(at: 1.5))
        node.started(pid: 101, at: 1.5)
        #expect(node.exited("exit 1", at: 2) == 2)
        node.started(pid: 102, at: 4)
        #expect(node.exited("signal 9", at: 5) == 4)
        #expect(node.restarts == 2)
        #expect(node.lastExit == "signal 9")
        node.started(pid: 103, at: 9)
        // Ran 20 s: the next crash waits the initial delay again.
        #expect(node.exited("signal 9", at: 29) == 1)
        #expect(node.consecutiveFailures == 1)
    }

    @Test func aStoppedNodeIsNotStartedAgain() {
        var node = SupervisedNode(name: "mail-2")
        node.started(pid: 7, at: 0)
        #expect(node.stop() == 7)
        #expect(node.pid == 7)
        #expect(node.exited("exit 0", at: 1) == nil)
        #expect(node.phase == .stopped)
        #expect(!node.isDue(at: 100))
        var waiting = SupervisedNode(name: "mail-3")
        #expect(waiting.stop() == nil)
        #expect(!waiting.isDue(at: 100))
    }

    @Test func aFailedStartIsRetried() {
        var node = SupervisedNode(name: "cache-1", backoff: RestartBackoff(initial: 0.5, maximum: 4, resetAfter: 10))
        node.failedToStart("no such program", at: 0)
        #expect(!node.isDue(at: 0.4))
        #expect(node.isDue(at: 0.5))
        node.failedToStart("no such program", at: 0.5)
        #expect(node.isDue(at: 1.5))
        #expect(node.lastExit == "no such program")
    }
}
