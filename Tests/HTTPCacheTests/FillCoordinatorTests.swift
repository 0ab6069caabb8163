import HTTPCache
import Testing

/// Request coalescing without sockets: one fill per key; a fill published early stays shared until it settles.
@Suite struct FillCoordinatorTests {
    /// A gate a test opens once (an async wait that blocks no thread).
    actor Gate {
        private var open = false
        private var waiting: [CheckedContinuation<Void, Never>] = []
        func wait() async {
            if open { return }
            await withCheckedContinuation { waiting.append($0) }
        }
        func release() {
            open = true
            for continuation in waiting { continuation.resume() }
            waiting = []
        }
    }

    actor Tally {
        var fills = 0
        func add() -> Int { fills += 1; return fills }
    }

    @Test func concurrentCallersShareOneFill() async {
        let coordinator = FillCoordinator<Int>()
        let gate = Gate(), tally = Tally()
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await coordinator.run(key: "k") { () async -> Int in
                        let n = await tally.add()
                        await gate.wait()
                        return n
                    }
                }
            }
            // Once the other 19 wait on the leader's fill, release it (a bound, not a timing assertion).
            for _ in 0..<6000 where coordinator.waiting < 19 { try? await Task.sleep(for: .milliseconds(10)) }
            #expect(coordinator.waiting == 19)
            await gate.release()
            var all: [(Int, Bool)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(await tally.fills == 1)
        #expect(results.allSatisfy { $0.0 == 1 })
        #expect(results.filter { !$0.1 }.count == 1)  // one leader, the rest coalesced
        #expect(coordinator.inFlight == 0)
    }

    @Test func aPublishedValueIsSharedUntilItSettles() async {
        let coordinator = FillCoordinator<String>()
        let settleGate = Gate(), tally = Tally()
        let fill: @Sendable () async -> (String, settle: (@Sendable () async -> Void)?) = {
            let n = await tally.add()
            return ("fill \(n)", { await settleGate.wait() })
        }
        let first = await coordinator.run(key: "k", fill: fill)
        #expect(first.0 == "fill 1" && !first.coalesced)
        // The settle step runs: a later caller shares the published value without a fill.
        let second = await coordinator.run(key: "k", fill: fill)
        #expect(second.0 == "fill 1" && second.coalesced)
        #expect(coordinator.inFlight == 1)
        await settleGate.release()
        while coordinator.inFlight > 0 { try? await Task.sleep(for: .milliseconds(10)) }
        // Settled: the next caller fills afresh.
        let third = await coordinator.run(key: "k", fill: fill)
        #expect(third.0 == "fill 2" && !third.coalesced)
        #expect(await tally.fills == 2)
    }
}
