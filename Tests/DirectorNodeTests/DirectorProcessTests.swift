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
        let director = try Child(ShoalBinary.path, ["director", "--config", config])
        defer { director.kill() }
        try await offPool { try waitForListener("127.0.55.1", 8080) }

        // SIGHUP: a second service appears.
        try (first + "\n  - listen: 127.0.55.1:8081\n    scheduler: rr\n    servers: [{address: 127.0.55.3:8001}]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        kill(director.process.processIdentifier, SIGHUP)
        #expect(await eventually { canConnect("127.0.55.1", 8081) })
        #expect(tally(try await offPool { try httpGets("http://127.0.55.1:8081/", count: 2) }) == ["H": 2])

        // An established connection, then SIGTERM: no new connections, but this one completes.
        let script = """
            import socket, sys
            s = socket.create_connection(("127.0.55.1", 8080))
            s.sendall(b"q" * 500)
            print("SENT", flush=True)
            sys.stdin.readline()
            s.shutdown(socket.SHUT_WR)
            print(s.makefile().read().strip(), flush=True)
            """
        let client = try InteractiveChild(try requiredTool("python3", package: "python3"), ["-c", script])
        #expect(client.readLine() == "SENT")
        kill(director.process.processIdentifier, SIGTERM)
        #expect(await eventually { !canConnect("127.0.55.1", 8080) })
        #expect(director.process.isRunning)
        client.writeLine("go")
        #expect(client.readLine() == "A got 500 bytes")
        // With nothing left to drain, the director exits cleanly.
        #expect(await eventually { !director.process.isRunning })
        await director.finished()
        #expect(director.process.terminationStatus == 0)
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
