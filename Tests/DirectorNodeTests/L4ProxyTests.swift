import Director
import DirectorNode
import Foundation
import ShoalTestFixtures
import ShoalCore
import Testing

/// The TCP and UDP dataplane against real servers and clients on loopback (127.0.41.x - 127.0.45.x).
@Suite(.serialized) struct L4ProxyTests {
    @Test func roundRobinSplitsConnectionsAndTheTableShowsThem() async throws {
        let a = try Backend("http", "127.0.41.2", 8001, name: "A")
        let b = try Backend("http", "127.0.41.3", 8001, name: "B")
        defer { a.kill(); b.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.41.1:8080
                scheduler: rr
                servers: [{address: 127.0.41.2:8001}, {address: 127.0.41.3:8001}]
            """)
        let lines = try await offPool { try httpGets("http://127.0.41.1:8080/x", count: 10) }
        await director.stop()
        #expect(tally(lines) == ["A": 5, "B": 5])
        let entries = director.table.connectionEntries
        #expect(entries.count == 10)
        #expect(Set(entries.map(\.destination)) == [Endpoint("127.0.41.2:8001")!, Endpoint("127.0.41.3:8001")!])
        #expect(entries.allSatisfy { $0.virtual == Endpoint("127.0.41.1:8080")! })
        let listing = try IPVSListing.render(.list({ var o = ListOptions(); o.numeric = true; o.connections = true; return o }()),
                                             table: director.table) ?? ""
        let rows = listing.split(separator: "\n").filter { $0.hasPrefix("TCP") && $0.contains("FIN_WAIT") && $0.contains("127.0.41.1:8080") }
        #expect(rows.count == 10)
    }

    @Test func aRefusingServerIsSkippedBeforeTheClientSeesAnError() async throws {
        let a = try Backend("http", "127.0.42.2", 8001, name: "A")
        defer { a.kill() }
        // 127.0.42.3:8001 and .4 have no listener and no health check: every connection there is refused.
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.42.1:8080
                scheduler: rr
                servers: [{address: 127.0.42.2:8001}, {address: 127.0.42.3:8001}, {address: 127.0.42.4:8001}]
            """)
        let lines = try await offPool { try httpGets("http://127.0.42.1:8080/", count: 12) }
        await director.stop()
        #expect(tally(lines) == ["A": 12])
        // Refused attempts leave nothing in the table.
        #expect(director.table.connectionEntries.allSatisfy { $0.destination == Endpoint("127.0.42.2:8001")! })
    }

    @Test func aClientHalfCloseReachesTheServerAndTheAnswerStillComesBack() async throws {
        let a = try Backend("eof", "127.0.43.2", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.43.1:8080
                scheduler: rr
                servers: [{address: 127.0.43.2:8001}]
              - listen: 127.0.43.1:8081
                scheduler: rr
                accept_proxy_protocol: true
                servers: [{address: 127.0.43.2:8001}]
            """)
        defer { Task { await director.stop() } }
        // Send 100,000 bytes, shut down our sending side, then read the answer the server gives after EOF.
        let client = try peers.launch("eof_client.py", ["127.0.43.1", "8080", "100000"])
        try await client.wait()
        #expect(client.outputLines == ["A got 100000 bytes"])
        // A client (behind a load balancer speaking PROXY) whose header, data and FIN all arrive before
        // the server connection is up: the FIN must still reach the server once it is.
        let quick = try peers.launch("proxy_early_fin.py", ["127.0.43.1", "8081", "20"])
        try await quick.wait()
        #expect(quick.outputLines == Array(repeating: "A got 5 bytes", count: 20))
    }

    @Test func aClientThatDoesNotReadHoldsBackTheServerInsteadOfFillingMemory() async throws {
        let a = try Backend("flood", "127.0.44.2", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.44.1:8080
                scheduler: rr
                servers: [{address: 127.0.44.2:8001}]
            """)
        defer { Task { await director.stop() } }
        // Connect and never read: the server's writes must stall once the socket buffers on both sides
        // and the proxy's bounded in-flight data are full.
        let client = try peers.launch("non_reader.py", ["127.0.44.1", "8080", "3"])
        try await client.wait()
        let written = a.child.outputLines.compactMap { Int($0) }.max() ?? 0
        // Without backpressure the proxy would read everything the server can send in 3 s (gigabytes on
        // loopback). With it, the server only got rid of what socket buffers hold (a few MiB at most).
        #expect(written > 0)
        #expect(written < 64 * 1024 * 1024, "the server wrote \(written) bytes to a client that never read")
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        let a = try Backend("eof", "127.0.43.12", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            director: {idle_timeout: 0.5}
            services:
              - listen: 127.0.43.11:8080
                scheduler: rr
                servers: [{address: 127.0.43.12:8001}]
            """)
        defer { Task { await director.stop() } }
        // One connection says nothing at all, another talks for a while and then stops: both are closed
        // by the director (the server would wait for EOF forever).
        let client = try peers.launch("idle_pair.py", ["127.0.43.11", "8080"])
        try await client.wait()
        #expect(client.outputLines == ["CLOSED", "CLOSED"])
    }

    @Test func udpFlowsStickToOneServerAndDifferentClientsAreSpread() async throws {
        let a = try Backend("udp", "127.0.45.2", 5300, name: "A")
        let b = try Backend("udp", "127.0.45.3", 5300, name: "B")
        defer { a.kill(); b.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.45.1:5353
                protocol: udp
                scheduler: rr
                servers: [{address: 127.0.45.2:5300}, {address: 127.0.45.3:5300}]
            """)
        defer { Task { await director.stop() } }
        try await Task.sleep(for: .milliseconds(300))
        let client = try peers.launch("udp_flows.py", ["127.0.45.1", "5353"])
        try await client.wait()
        let replies = client.outputLines
        #expect(replies.count == 12)
        // Each client socket always got the same server, and the four clients were split 2/2.
        var serverOf: [String: Set<String>] = [:]
        for reply in replies {
            let parts = reply.split(separator: ":")
            let clientName = String(parts[1].split(separator: "-")[0])
            serverOf[clientName, default: []].insert(String(parts[0]))
        }
        #expect(serverOf.count == 4 && serverOf.values.allSatisfy { $0.count == 1 })
        #expect(tally(serverOf.values.map { $0.first! }) == ["A": 2, "B": 2])
        #expect(director.table.connectionEntries.filter { $0.proto == .udp }.count == 4)
    }
}
