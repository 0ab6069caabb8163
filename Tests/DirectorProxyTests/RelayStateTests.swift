@testable import DirectorProxy
import ShoalServer
import Testing

/// The epoll engine's per-connection state machine and sweep schedule, without sockets.
@Suite struct RelayStateTests {
    private func relaying(maxAttempts: Int = 4) -> RelayState {
        var state = RelayState(now: 0, maxAttempts: maxAttempts)
        state.connected(now: 10)
        return state
    }

    @Test func nothingIsReadBeforeTheServerIsConnected() {
        var state = RelayState(now: 0, maxAttempts: 4)
        #expect(state.phase == .connecting(attempt: 1))
        #expect(!state.mayRead(from: .client) && !state.mayRead(from: .server))
        #expect(state.endOfFile(from: .client) == .none, "an EOF before the connect is read again later")
        state.connected(now: 5)
        #expect(state.phase == .relaying)
        #expect(state.mayRead(from: .client) && state.mayRead(from: .server))
        #expect(state.lastActivity == 5)
    }

    @Test func failedConnectsRetryUntilTheAttemptsRunOut() {
        var state = RelayState(now: 0, maxAttempts: 3)
        #expect(state.connectFailed(now: 1) == .retry(attempt: 2))
        #expect(state.connectFailed(now: 2) == .retry(attempt: 3))
        #expect(state.phase == .connecting(attempt: 3))
        #expect(state.connectFailed(now: 3) == .close)
        #expect(state.phase == .closed)
        #expect(state.connectFailed(now: 4) == .none)
        var single = RelayState(now: 0, maxAttempts: 0)
        #expect(single.connectFailed(now: 1) == .close, "at least one attempt, none retried")
        var up = relaying()
        #expect(up.connectFailed(now: 20) == .none, "a connected relay ignores a late connect failure")
    }

    @Test func anEndOfFileIsPassedOnAsAHalfCloseAndBothEndsClose() {
        var state = relaying()
        #expect(state.endOfFile(from: .client) == .shutdownWrite(.server))
        #expect(state.didShutdownWrite(.server) == .none)
        #expect(!state.mayRead(from: .client), "nothing more comes from a client that sent EOF")
        #expect(state.mayRead(from: .server), "the answer still flows back")
        #expect(state.endOfFile(from: .client) == .none, "a second EOF changes nothing")
        #expect(state.endOfFile(from: .server) == .shutdownWrite(.client))
        #expect(state.didShutdownWrite(.client) == .close)
        #expect(state.phase == .closed)
    }

    @Test func theHalfCloseWaitsForPendingBytes() {
        var state = relaying()
        state.read(from: .server, now: 20, pendingLeft: true)
        #expect(!state.mayRead(from: .server), "reading pauses while the client's socket is full")
        #expect(state.mayRead(from: .client))
        #expect(state.endOfFile(from: .server) == .none, "the EOF waits behind the bytes still to be written")
        #expect(state.drained(to: .client) == .shutdownWrite(.client))
        #expect(state.didShutdownWrite(.client) == .none)
        // Pending bytes toward the server do not hold up the other direction.
        state.read(from: .client, now: 30, pendingLeft: true)
        #expect(state.drained(to: .server) == .none)
        #expect(state.mayRead(from: .client))
    }

    @Test func errorsResetOnceAndClosedConnectionsIgnoreEvents() {
        var state = relaying()
        #expect(state.failed() == .reset)
        #expect(state.phase == .closed)
        #expect(state.failed() == .none)
        #expect(state.endOfFile(from: .server) == .none)
        #expect(state.drained(to: .client) == .none)
        #expect(!state.mayRead(from: .client))
        var connecting = RelayState(now: 0, maxAttempts: 2)
        #expect(connecting.failed() == .reset, "a client error while connecting ends the connection")
    }

    @Test func theSweepClosesIdleConnectionsAndTimesOutConnects() {
        var state = RelayState(now: 1000, maxAttempts: 2)
        #expect(state.sweep(now: 1999, idleTimeout: 500, connectTimeout: 1000) == .keep)
        #expect(state.sweep(now: 2000, idleTimeout: 500, connectTimeout: 1000) == .connectTimedOut)
        #expect(state.connectFailed(now: 2000) == .retry(attempt: 2))
        #expect(state.sweep(now: 2999, idleTimeout: 500, connectTimeout: 1000) == .keep, "the retry gets a full connect timeout")
        state.connected(now: 3000)
        #expect(state.sweep(now: 3499, idleTimeout: 500, connectTimeout: 1000) == .keep)
        state.read(from: .client, now: 3400, pendingLeft: false)
        #expect(state.sweep(now: 3899, idleTimeout: 500, connectTimeout: 1000) == .keep, "traffic postpones the idle close")
        #expect(state.sweep(now: 3900, idleTimeout: 500, connectTimeout: 1000) == .idle)
        state.close()
        #expect(state.sweep(now: 9999, idleTimeout: 500, connectTimeout: 1000) == .keep)
    }

    @Test func theSweepScheduleIsDueOncePerInterval() {
        var schedule = SweepSchedule(interval: 250, now: 1000)
        #expect(schedule.wait(now: 1000) == 250)
        let early = schedule.due(now: 1249)
        #expect(!early)
        #expect(schedule.wait(now: 1249) == 1)
        let first = schedule.due(now: 1250)
        let again = schedule.due(now: 1250)
        #expect(first)
        #expect(!again, "due once, then the next interval")
        #expect(schedule.wait(now: 1300) == 200)
        #expect(schedule.wait(now: 9999) == 0)
        #expect(SweepSchedule(interval: 0, now: 0).interval == 1)
    }

    @Test func pendingBytesKeepOnlyWhatWasNotWritten() {
        var pending = PendingBytes()
        #expect(pending.isEmpty)
        let bytes: [UInt8] = Array(0..<100)
        bytes.withUnsafeBytes { pending.keep($0.baseAddress!, count: 100) }
        var written: [UInt8] = []
        // A socket that takes 30 bytes, then is full.
        var budget = 30
        let result = pending.flush { pointer, count in
            let n = min(count, budget)
            guard n > 0 else { return -1 }
            budget -= n
            written += Array(UnsafeRawBufferPointer(start: pointer, count: n))
            return n
        }
        #expect(result == -1 && !pending.isEmpty && written == Array(0..<30))
        bytes.withUnsafeBytes { pending.keep($0.baseAddress!, count: 10) }
        let rest = pending.flush { pointer, count in
            written += Array(UnsafeRawBufferPointer(start: pointer, count: count))
            return count
        }
        #expect(rest == 80 && pending.isEmpty)
        #expect(written == Array(0..<100) + Array(0..<10))
    }

    @Test func trafficBatchesAreDueAtTheThreshold() {
        var batch = TrafficBatch()
        let below = batch.add(inbound: TrafficBatch.reportEvery - 1, outbound: 0)
        let reached = batch.add(inbound: 0, outbound: 1)
        #expect(!below)
        #expect(reached)
        #expect(batch.inBytes == TrafficBatch.reportEvery - 1 && batch.outBytes == 1)
    }
}
