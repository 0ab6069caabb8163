import Foundation
import ShoalTestFixtures
import Testing

/// `shoal web-node` as a process (127.0.150.30): serves, reopens its access log on SIGHUP, exits 0 on
/// SIGTERM; a bad configuration exits non-zero naming file, line and field.
@Suite(.serialized) struct WebNodeCLITests {
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "shoal-web-cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/root", withIntermediateDirectories: true)
        return dir
    }

    /// Polls `condition` every 50 ms for up to `seconds` (a deadline for something to happen, not a measurement).
    @Test func servesReopensItsLogOnSighupAndDrainsOnSigterm() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "from the cli\n".write(toFile: dir + "/root/a.txt", atomically: true, encoding: .utf8)
        let port = try TestPorts.free(host: "127.0.150.30")
        let config = dir + "/web.yaml"
        try "root: \(dir)/root\nhttp: { listen: \"127.0.150.30:\(port)\" }\naccess_log: \(dir)/access.log\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let node = try TestProcess(try ShoalBinary.executable(), ["web-node", "--config", config])
        defer { node.kill() }
        try await TestPorts.waitForListener("127.0.150.30", port, process: node)
        let curl = try requiredTool("curl", package: "curl")
        let first = try await TestProcess.run(curl, ["-sS", "--max-time", "30", "http://127.0.150.30:\(port)/a.txt"])
        #expect(first.stdout == "from the cli\n")
        #expect(await eventually { ((try? String(contentsOfFile: dir + "/access.log", encoding: .utf8)) ?? "").contains("GET /a.txt") })

        // logrotate moves the file; SIGHUP makes the node write to a new one.
        #expect(rename(dir + "/access.log", dir + "/access.log.1") == 0)
        node.signal(SIGHUP)
        #expect(await eventually {
            _ = try? await TestProcess.run(curl, ["-sS", "--max-time", "30", "http://127.0.150.30:\(port)/again"])
            return ((try? String(contentsOfFile: dir + "/access.log", encoding: .utf8)) ?? "").contains("GET /again")
        })

        node.signal(SIGTERM)
        #expect(try await node.wait() == 0)
        #expect(!TestPorts.accepts(port, host: "127.0.150.30"))
    }

    @Test func aBadConfigurationExitsNonZeroNamingFileLineAndField() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/bad.yaml"
        try "root: \(dir)/root\nhttp: { listen: \"127.0.150.30:80\" }\nsymlinks: sometimes\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await offPool { try ShoalBinary.run(["web-node", "--config", config]) }
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(config):3: symlinks: 'sometimes'"), "\(result.stderr)")
    }
}
