import Foundation
import ShoalTestFixtures
import Testing

/// `shoal director` as a process: SIGHUP reloads, SIGTERM drains, bad files exit non-zero (127.0.55.x).
@Suite(.serialized) struct DirectorProcessTests {
    @Test func sighupReloadsAndSigtermLetsEstablishedConnectionsFinish() async throws {
        let a = try Backend("eof", "127.0.55.2", 8001, name: "A")
        let h = try Backend("http", "127.0.55.3", 8001, name: "H")
        defer { a.kill(); h.kill() }
        let dir = NSTemporaryDirectory() + "shoal-director-process-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/director.yaml"
        let first = """
            director: {drain_timeout: 20}
            services:
              - listen: 127.0.55.1:8080
                scheduler: rr
                servers: [{address: 127.0.55.2:8001}]
            """
        try first.write(toFile: config, atomically: true, encoding: .utf8)
        let director = try TestProcess(try ShoalBinary.executable(), ["director", "--config", config])
        defer { director.kill() }
        try await TestPorts.waitForListener("127.0.55.1", 8080, process: director)

        // SIGHUP: a second service appears.
        try (first + "\n  - listen: 127.0.55.1:8081\n    scheduler: rr\n    servers: [{address: 127.0.55.3:8001}]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        director.signal(SIGHUP)
        #expect(await eventually { TestPorts.accepts(8081, host: "127.0.55.1") })
        #expect(tally(try await offPool { try httpGets("http://127.0.55.1:8081/", count: 2) }) == ["H": 2])

        // An established connection, then SIGTERM: no new connections, but this one completes.
        let client = try peers.launch("held_connection.py", ["127.0.55.1", "8080", "500", "0"], input: .pipe)
        #expect(try await client.readLine() == "SENT")
        director.signal(SIGTERM)
        #expect(await eventually { !TestPorts.accepts(8080, host: "127.0.55.1") })
        #expect(director.isRunning)
        client.writeLine("go")
        #expect(try await client.readLine() == "A got 500 bytes")
        // With nothing left to drain, the director exits cleanly.
        #expect(await eventually { !director.isRunning })
        #expect(try await director.wait() == 0)
    }

    @Test func aBadConfigurationExitsNonZeroNamingFileLineAndField() async throws {
        let dir = NSTemporaryDirectory() + "shoal-director-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/bad.yaml"
        try "services:\n  - listen: 127.0.55.1:8080\n    scheduler: fastest\n    servers: []\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await offPool { try ShoalBinary.run(["director", "--config", config]) }
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(config):3: services[0].scheduler: 'fastest'"), "\(result.stderr)")
        // A busy address is reported too.
        let blocker = try Backend("http", "127.0.55.9", 8080, name: "X")
        defer { blocker.kill() }
        try "services:\n  - listen: 127.0.55.9:8080\n    servers: [{address: 127.0.55.2:8001}]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let busy = try await offPool { try ShoalBinary.run(["director", "--config", config]) }
        #expect(busy.status != 0)
        #expect(busy.stderr.lowercased().contains("address"), "\(busy.stderr)")
    }
}
