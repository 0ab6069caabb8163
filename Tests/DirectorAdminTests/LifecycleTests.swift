import DirectorAdmin
import Foundation
import ShoalTestFixtures
import ShoalCore
import ShoalServer
import Testing

/// Keep-alive, HEAD, graceful shutdown, and the bound address.
@Suite struct LifecycleTests {

    @Test func requestsShareOneKeptAliveConnectionAndHeadHasNoBody() async throws {
        let h = try await ServerHarness.start(host: "127.0.77.6")
        defer { Task { await h.stop() } }
        let run = try await peers.run("keep_alive.py", ["\(h.address.address)", "\(h.address.port)"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[Any]])
        #expect(rows.count == 4)
        #expect(rows.map { $0[0] as? Int } == [200, 200, 200, 200])
        #expect(rows.prefix(3).allSatisfy { $0[1] as? String == "keep-alive" && ($0[2] as? Int ?? 0) > 0 })
        // One client port for all four: one TCP connection.
        #expect(Set(rows.map { $0[3] as? Int }).count == 1)
        // HEAD: the GET's length, no body.
        #expect(Int(rows[3][1] as? String ?? "") ?? 0 > 0)
        #expect(rows[3][2] as? Int == 0)
    }


    @Test func shutdownClosesIdleKeepAliveConnectionsAndStopsListening() async throws {
        let h = try await ServerHarness.start(host: "127.0.77.6")
        // A client that made one request and then idles on its keep-alive connection.
        let client = try peers.launch("idle_client.py", ["\(h.address.address)", "\(h.address.port)"], input: .pipe)
        let ready = try await client.readLine()
        #expect(ready == "READY")
        // Shutdown returns although a connection is open (it was idle, so it is closed).
        await h.server.shutdown()
        client.writeLine("go")
        try await client.wait()
        #expect(client.standardOutput == "READY\nCLOSED\n")
        // Nothing listens any more.
        let curl = try requiredTool("curl", package: "curl")
        let refused = try await TestProcess.run(curl, ["-sS", "--noproxy", "*", h.url("/api/stats")])
        #expect(refused.status == 7, "\(refused.stderr)")
        // A second shutdown is harmless; start after shutdown is refused.
        await h.server.shutdown()
        await #expect(throws: ServerStateError.self) { try await h.server.start() }
    }

    @Test func boundAddressIsReported() async throws {
        let h = try await ServerHarness.start(host: "127.0.77.6")
        defer { Task { await h.stop() } }
        #expect(h.address.address == IPAddress("127.0.77.6")!)
        #expect(h.address.port != 0)
        #expect(await h.server.boundAddress == h.address)
        #expect(try await h.server.start() == h.address)
    }
}
