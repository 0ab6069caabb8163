import Foundation
import HTTPCache
import ShoalTestFixtures
import Testing

/// `shoal cache-node` as a process: killed (SIGKILL) in the middle of a fill, its store holds no torn object,
/// and the node started again on it serves the object whole. Also the CLI's error for a bad configuration.
@Suite(.serialized) struct CrashTests {
    @Test func killedDuringAFillLeavesNoTornObject() async throws {
        let shoal = try ShoalBinary.executable()
        let origin = try await OriginFixture(host: "127.0.181.1")
        defer { origin.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cache-crash-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try TestPorts.free(host: "127.0.181.2")
        try """
            http: { listen: "127.0.181.2:\(port)" }
            origin: { servers: ["\(origin.authority)"] }
            store: { directory: \(directory)/store }
            """.write(toFile: directory + "/cache.yaml", atomically: true, encoding: .utf8)
        let node = try TestProcess(shoal, ["cache-node", "--config", directory + "/cache.yaml"], name: "cache-node", logDirectory: directory)
        try await TestPorts.waitForListener("127.0.181.2", port, timeout: 30, process: node)
        // /slow.bin takes about 2 s at the origin's 100 KiB/s; the node is killed while it is being filled.
        let client = Task { try await Curl.run(["-o", "/dev/null", "-w", "%{http_code} %{size_download}", "http://127.0.181.2:\(port)/slow.bin"]) }
        try await Task.sleep(for: .milliseconds(700)) // the fill is under way (the whole transfer takes ~2 s)
        node.kill()
        _ = try? await client.value
        let objects = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/store/objects")) ?? []
        for name in objects {
            // Whatever is in place must be whole (write-then-rename); nothing half-written may sit under objects/.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/store/objects/" + name))
            #expect(throws: Never.self) { try StoredObjectFile.decode(Array(bytes)) }
        }
        // Started again on the same store: the object comes whole (from the origin, since the fill never finished).
        let again = try TestProcess(shoal, ["cache-node", "--config", directory + "/cache.yaml"], name: "cache-node", logDirectory: directory)
        defer { again.kill() }
        try await TestPorts.waitForListener("127.0.181.2", port, timeout: 30, process: again)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory + "/store/tmp")) ?? []).isEmpty)
        let whole = try await Curl.run(["-o", "/dev/null", "-w", "%{http_code} %{size_download}", "http://127.0.181.2:\(port)/slow.bin"])
        #expect(whole.stdout == "200 204800")
    }

    @Test func badConfigurationNamesFileAndLine() async throws {
        let shoal = try ShoalBinary.executable()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cache-cli-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "http: { listen: \"127.0.181.3:1\" }\nforward_proxy: true\nstore: { directory: /tmp/x, capacity_bites: 5 }\n"
            .write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
        let result = try await TestProcess.run(shoal, ["cache-node", "--config", directory + "/bad.yaml"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.yaml:3"), "\(result.stderr)")
        #expect(result.stderr.contains("capacity_bites"), "\(result.stderr)")
    }
}
