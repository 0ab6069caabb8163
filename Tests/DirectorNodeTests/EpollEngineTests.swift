import Director
import DirectorNode
import DirectorProxy
import Foundation
import ShoalCore
import ShoalTestFixtures
import Testing

/// The epoll forwarding engine (`engine: epoll`) against real servers and clients on loopback
/// (127.0.236.x - 127.0.239.x): bytes both ways, half-close, dead servers, limits, idle timeout, counters,
/// PROXY headers read by nginx, reload and drain, and the same scheduling as the NIO path.
@Suite(.serialized) struct EpollEngineTests {
    @Test func smallAndLargeTransfersArriveIntactBothWays() async throws {
        let server = try peers.launch("transfer.py", ["server", "127.0.236.2", "8001"])
        defer { server.kill() }
        try await TestPorts.waitForListener("127.0.236.2", [8001], process: server)
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.236.1:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.236.2:8001}]
            """)
        defer { Task { await director.stop() } }
        // Each client sends SIZE bytes, half-closes, and checks the digest and the echo of every byte.
        for size in [0, 1, 5000, 12 * 1024 * 1024] {
            let client = try peers.launch("transfer.py", ["client", "127.0.236.1", "8080", String(size)])
            try await client.wait()
            #expect(client.outputLines == ["OK \(size)"], "\(size) bytes: \(client.outputLines) \(client.standardError)")
        }
        // Several at once, on every engine thread.
        let clients = try (0..<8).map { _ in try peers.launch("transfer.py", ["client", "127.0.236.1", "8080", String(1024 * 1024)]) }
        for client in clients {
            try await client.wait()
            #expect(client.outputLines == ["OK 1048576"], "\(client.outputLines) \(client.standardError)")
        }
        #expect(await eventually { director.server.openConnections == 0 })
    }

    @Test func roundRobinSplitsConnectionsAndTheTableShowsThem() async throws {
        let a = try Backend("http", "127.0.236.12", 8001, name: "A")
        let b = try Backend("http", "127.0.236.13", 8001, name: "B")
        defer { a.kill(); b.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.236.11:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.236.12:8001}, {address: 127.0.236.13:8001}]
            """)
        let lines = try await offPool { try httpGets("http://127.0.236.11:8080/x", count: 10) }
        #expect(await eventually { director.server.openConnections == 0 })
        await director.stop()
        #expect(tally(lines) == ["A": 5, "B": 5])
        let entries = director.table.connectionEntries
        #expect(entries.count == 10)
        #expect(Set(entries.map(\.destination)) == [Endpoint("127.0.236.12:8001")!, Endpoint("127.0.236.13:8001")!])
    }

    @Test func theSchedulersChooseAsTheNIOPathDoesForTheSameSequence() async throws {
        let backends = try ["A", "B", "C"].enumerated().map { index, name in try Backend("http", "127.0.236.2\(index + 2)", 8001, name: name) }
        defer { for backend in backends { backend.kill() } }
        let servers = "[{address: 127.0.236.22:8001, weight: 3}, {address: 127.0.236.23:8001, weight: 1}, {address: 127.0.236.24:8001, weight: 2}]"
        var yaml = "services:\n"
        for (port, engine, scheduler) in [(8080, "nio", "wrr"), (8081, "epoll", "wrr"), (8082, "nio", "rr"), (8083, "epoll", "rr")] {
            yaml += """
                  - listen: 127.0.236.21:\(port)
                    engine: \(engine)
                    scheduler: \(scheduler)
                    servers: \(servers)

                """
        }
        let director = try await DirectorHarness(yaml)
        defer { Task { await director.stop() } }
        for (nio, epoll) in [(8080, 8081), (8082, 8083)] {
            let viaNIO = try await offPool { try httpGets("http://127.0.236.21:\(nio)/", count: 12) }
            let viaEpoll = try await offPool { try httpGets("http://127.0.236.21:\(epoll)/", count: 12) }
            #expect(viaNIO.count == 12 && !viaNIO.contains { $0.hasPrefix("FAIL") }, "\(viaNIO)")
            #expect(viaEpoll == viaNIO, "port \(epoll) chose \(viaEpoll), the NIO path \(viaNIO)")
        }
    }

    @Test func aClientHalfCloseReachesTheServerAndTheAnswerStillComesBack() async throws {
        let a = try Backend("eof", "127.0.236.32", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.236.31:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.236.32:8001}]
            """)
        defer { Task { await director.stop() } }
        let client = try peers.launch("eof_client.py", ["127.0.236.31", "8080", "100000"])
        try await client.wait()
        #expect(client.outputLines == ["A got 100000 bytes"])
    }

    @Test func deadServersAreSkippedAndWithNoneLeftTheClientIsClosed() async throws {
        let a = try Backend("http", "127.0.237.2", 8001, name: "A")
        defer { a.kill() }
        // 127.0.237.3:8001 and .4 have no listener: every connection there is refused.
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.237.1:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.237.2:8001}, {address: 127.0.237.3:8001}, {address: 127.0.237.4:8001}]
              - listen: 127.0.237.1:8081
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.237.3:8001}, {address: 127.0.237.4:8001}]
            """)
        defer { Task { await director.stop() } }
        let lines = try await offPool { try httpGets("http://127.0.237.1:8080/", count: 12) }
        #expect(tally(lines) == ["A": 12])
        #expect(director.table.connectionEntries.allSatisfy { $0.destination == Endpoint("127.0.237.2:8001")! })
        let probe = try peers.launch("transfer.py", ["probe", "127.0.237.1", "8081"])
        try await probe.wait()
        #expect(probe.outputLines == ["EMPTY"] || probe.outputLines == ["RESET"], "\(probe.outputLines) \(probe.standardError)")
        #expect(await eventually { director.server.openConnections == 0 })
        #expect(director.table.connectionEntries.allSatisfy { $0.destination == Endpoint("127.0.237.2:8001")! })
    }

    @Test func aServerAtItsUpperThresholdTakesNoMoreConnections() async throws {
        let a = try Backend("eof", "127.0.237.12", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            director:
              timeouts: {tcpfin: 1}
            services:
              - listen: 127.0.237.11:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.237.12:8001, upper_threshold: 1}]
            """)
        defer { Task { await director.stop() } }
        let held = try peers.launch("held_connection.py", ["127.0.237.11", "8080", "10", "0"], input: .pipe)
        #expect(try await held.readLine() == "SENT")
        // The held connection is in the table (accepted and scheduled) before the next one arrives.
        #expect(await eventually { director.table.connectionEntries.count == 1 })
        let refused = try peers.launch("transfer.py", ["probe", "127.0.237.11", "8080"])
        try await refused.wait()
        #expect(refused.outputLines == ["EMPTY"] || refused.outputLines == ["RESET"], "\(refused.outputLines)")
        held.writeLine("go")
        #expect(try await held.readLine() == "A got 10 bytes")
        // Once the held connection's entry expires, the server takes a connection again.
        #expect(try await eventually {
            let probe = try peers.launch("transfer.py", ["probe", "127.0.237.11", "8080"])
            try await probe.wait()
            return probe.outputLines == ["A got 1 bytes"]
        })
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        let a = try Backend("eof", "127.0.237.22", 8001, name: "A")
        defer { a.kill() }
        let director = try await DirectorHarness("""
            director: {idle_timeout: 0.5}
            services:
              - listen: 127.0.237.21:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.237.22:8001}]
            """)
        defer { Task { await director.stop() } }
        let client = try peers.launch("idle_pair.py", ["127.0.237.21", "8080"])
        try await client.wait()
        #expect(client.outputLines == ["CLOSED", "CLOSED"])
        #expect(await eventually { director.server.openConnections == 0 })
    }

    @Test func trafficIsCountedInTheAdminAPI() async throws {
        let server = try peers.launch("transfer.py", ["server", "127.0.237.32", "8001"])
        defer { server.kill() }
        try await TestPorts.waitForListener("127.0.237.32", [8001], process: server)
        let director = try await DirectorHarness("""
            director:
              admin: {listen: 127.0.237.31:9900}
            services:
              - listen: 127.0.237.31:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.237.32:8001}]
            """)
        defer { Task { await director.stop() } }
        let client = try peers.launch("transfer.py", ["client", "127.0.237.31", "8080", String(3 * 1024 * 1024)])
        try await client.wait()
        #expect(client.outputLines == ["OK 3145728"])
        #expect(await eventually { director.server.openConnections == 0 })
        let (status, body) = try await offPool { try admin("GET", "http://127.0.237.31:9900/api/stats") }
        #expect(status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let stats = json?["stats"] as? [String: Any]
        let inBytes = (stats?["in_bytes"] as? NSNumber)?.intValue ?? 0
        let outBytes = (stats?["out_bytes"] as? NSNumber)?.intValue ?? 0
        // In: the 3 MiB sent; out: the answer line and the 3 MiB echo.
        #expect(inBytes == 3 * 1024 * 1024, "\(body)")
        #expect(outBytes > 3 * 1024 * 1024 && outBytes < 3 * 1024 * 1024 + 200, "\(body)")
        #expect((stats?["connections"] as? NSNumber)?.intValue == 1, "\(body)")
    }

    @Test func proxyProtocolHeadersAreUnderstoodByNginx() async throws {
        let nginx = try await NginxFixture(servers: """
            server {
                listen 127.0.238.2:8001 proxy_protocol;
                location / { return 200 "$proxy_protocol_addr:$proxy_protocol_port $remote_addr\\n"; }
            }
            """, listening: [("127.0.238.2", 8001)])
        defer { nginx.stop() }
        for version in ["v1", "v2"] {
            let director = try await DirectorHarness("""
                services:
                  - listen: 127.0.238.1:8080
                    engine: epoll
                    scheduler: rr
                    proxy_protocol: \(version)
                    servers: [{address: 127.0.238.2:8001}]
                """)
            let client = try peers.launch("proxy_protocol_client.py", ["127.0.238.1", "8080", "127.0.238.77"])
            try await client.wait()
            await director.stop()
            let lines = client.outputLines
            #expect(lines.count == 2 && lines[1].hasPrefix(lines[0] + " "), "\(version): \(lines)")
        }
    }

    @Test func reloadAndDrainKeepLiveConnections() async throws {
        let a = try Backend("eof", "127.0.238.12", 8001, name: "A")
        defer { a.kill() }
        let first = """
            director: {drain_timeout: 60}
            services:
              - listen: 127.0.238.11:8080
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.238.12:8001}]
            """
        let director = try await DirectorHarness(first)
        defer { Task { await director.stop() } }
        // Opened before a reload that changes the service's settings and then one that removes it.
        let held = try peers.launch("held_connection.py", ["127.0.238.11", "8080", "1000", "1000"], input: .pipe)
        #expect(try await held.readLine() == "SENT")
        #expect(try await director.reload(first + "\n    idle_timeout: 100\n"))
        #expect(try await director.reload("""
            director: {drain_timeout: 60}
            services:
              - listen: 127.0.238.11:8081
                engine: epoll
                scheduler: rr
                servers: [{address: 127.0.238.12:8001}]
            """))
        // The retired listener's sockets are closed by their worker threads; a bound, not a timing assertion.
        #expect(await eventually { !TestPorts.accepts(8080, host: "127.0.238.11") })
        held.writeLine("go")
        #expect(try await held.readLine() == "A got 2000 bytes")
        // Drain: the listener closes at once, the live connection finishes, then the drain ends.
        let live = try peers.launch("held_connection.py", ["127.0.238.11", "8081", "500", "500"], input: .pipe)
        #expect(try await live.readLine() == "SENT")
        let server = director.server
        let drained = Task { await server.drain() }
        #expect(await eventually { !TestPorts.accepts(8081, host: "127.0.238.11") })
        live.writeLine("go")
        #expect(try await live.readLine() == "A got 1000 bytes")
        await drained.value
        #expect(server.openConnections == 0)
    }
}

/// `engine:` in a service: epoll for plain TCP only, errors naming the file, line and field.
@Suite struct EpollEngineConfigurationTests {
    func parse(_ yaml: String) throws(ConfigError) -> DirectorConfiguration {
        try DirectorConfiguration.parse(ConfigDocument.parse(yaml, file: "director.yaml"))
    }

    @Test func theEngineIsChosenPerServiceAndNIOStaysTheDefault() throws {
        let configuration = try parse("""
            services:
              - listen: 127.0.0.1:80
                engine: epoll
                servers: [{address: 127.0.0.2:80}]
              - listen: 127.0.0.1:81
                servers: [{address: 127.0.0.2:80}]
            """)
        #expect(configuration.services.map(\.proxy.engine) == [.epoll, .nio])
    }

    @Test func epollRefusesWhatItDoesNotForward() {
        for (extra, message) in [("protocol: http", "plain TCP"), ("protocol: udp", "plain TCP"),
                                 ("accept_proxy_protocol: true", "PROXY headers"), ("engine: dpdk", "dpdk")] {
            let yaml = """
                services:
                  - listen: 127.0.0.1:80
                    \(extra)
                    \(extra.hasPrefix("engine") ? "" : "engine: epoll")
                    servers: [{address: 127.0.0.2:80}]
                """
            do {
                _ = try parse(yaml)
                Issue.record("\(extra) was accepted with engine epoll")
            } catch {
                #expect(error.file == "director.yaml" && error.field == "services[0].engine", "\(extra): \(error)")
                #expect(error.message.contains(message), "\(extra): \(error.message)")
            }
        }
    }
}
