import Director
import DirectorNode
import Foundation
import ShoalTestFixtures
import ShoalCore
import Testing

/// Health checks drive the live table: a killed server leaves it, clients never see a refusal while
/// another server is up, and the server comes back once it answers again (127.0.47.x - 127.0.48.x).
@Suite(.serialized) struct HealthFailoverTests {
    @Test func aKilledServerStopsGettingConnectionsAndNoClientIsRefused() async throws {
        let a = try Backend("http", "127.0.47.2", 8001, name: "A")
        var b = try Backend("http", "127.0.47.3", 8001, name: "B")
        defer { a.kill(); b.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.47.1:8080
                scheduler: rr
                check: {type: http, path: /health, delay_loop: 0.3, connect_timeout: 0.5, retry: 0}
                servers: [{address: 127.0.47.2:8001}, {address: 127.0.47.3:8001}]
            """)
        defer { Task { await director.stop() } }
        let load = try LoopingClient("http://127.0.47.1:8080/")
        // The loop is under way (answers from both servers) before B dies: counted, not timed.
        #expect(await eventually { Set(load.child.outputLines).isSuperset(of: ["A", "B"]) })
        b.kill()
        // The check notices within one interval (plus its timeout), and B leaves the table.
        let removed = await eventually { director.weight("127.0.47.1:8080", "127.0.47.3:8001") == nil }
        #expect(removed)
        let answeredBefore = load.child.outputLines.count
        #expect(await eventually { load.child.outputLines.count >= answeredBefore + 5 }, "the loop goes on after B left")
        let during = await load.finish()
        // No client is refused: connections the director accepts after B died are retried on A. The only
        // failure allowed is the one request that may have been in flight on B when it was SIGKILLed
        // (its established connection dies with the server, as with any L4 balancer).
        let failures = during.filter { $0.hasPrefix("FAIL") }
        #expect(failures.count <= 1, "failures: \(failures.prefix(3))")
        #expect(!failures.contains { $0.contains("Refused") }, "failures: \(failures)")
        #expect(tally(during)["A", default: 0] > 0)
        // From now on every connection goes to A.
        let after = try await offPool { try httpGets("http://127.0.47.1:8080/", count: 10) }
        #expect(tally(after) == ["A": 10])

        // B answers again: it is checked back into the table and gets traffic.
        b = try Backend("http", "127.0.47.3", 8001, name: "B")
        let back = await eventually { director.weight("127.0.47.1:8080", "127.0.47.3:8001") == 1 }
        #expect(back)
        #expect(tally(try await offPool { try httpGets("http://127.0.47.1:8080/", count: 10) }) == ["A": 5, "B": 5])
    }

    @Test func inhibitOnFailureKeepsTheServerWithWeightZeroAndTheSorryServerTakesOverWhenAllFail() async throws {
        let a = try Backend("http", "127.0.48.2", 8001, name: "A")
        let sorry = try Backend("http", "127.0.48.9", 8001, name: "SORRY")
        defer { a.kill(); sorry.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.48.1:8080
                scheduler: rr
                inhibit_on_failure: true
                sorry_server: 127.0.48.9:8001
                check: {type: tcp, delay_loop: 0.3, connect_timeout: 0.5, retry: 0}
                servers: [{address: 127.0.48.2:8001}, {address: 127.0.48.3:8001}]
            """)
        defer { Task { await director.stop() } }
        #expect(await eventually { director.weight("127.0.48.1:8080", "127.0.48.3:8001") == 0 })
        #expect(director.weight("127.0.48.1:8080", "127.0.48.2:8001") == 1)
        #expect(tally(try await offPool { try httpGets("http://127.0.48.1:8080/", count: 4) }) == ["A": 4])
        a.kill()
        #expect(await eventually { director.weight("127.0.48.1:8080", "127.0.48.9:8001") == 1 })
        #expect(director.weight("127.0.48.1:8080", "127.0.48.2:8001") == 0)
        #expect(tally(try await offPool { try httpGets("http://127.0.48.1:8080/", count: 4) }) == ["SORRY": 4])
    }

    @Test func alphaServersStartDownUntilTheirFirstGoodCheck() async throws {
        let a = try Backend("http", "127.0.48.22", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.48.21:8080
                scheduler: rr
                alpha: true
                check: {type: tcp, delay_loop: 0.3, connect_timeout: 0.5}
                servers: [{address: 127.0.48.22:8001}, {address: 127.0.48.23:8001}]
            """)
        defer { Task { await director.stop() } }
        // Neither server is in the table before its check ran; A joins, the dead one never does.
        #expect(director.weight("127.0.48.21:8080", "127.0.48.23:8001") == nil)
        #expect(await eventually { director.weight("127.0.48.21:8080", "127.0.48.22:8001") == 1 })
        try await Task.sleep(for: .milliseconds(700))
        #expect(director.weight("127.0.48.21:8080", "127.0.48.23:8001") == nil)
    }
}
