import Foundation

/// A real nginx (Debian `nginx-light`) for tests: writes `NginxConfig` into a temporary directory, runs nginx
/// in the foreground as one process, waits until it listens, and stops it with SIGKILL (it is the only
/// signal sure to stop it whatever signal mask it was started with); the directory is removed on stop.
public final class NginxFixture: @unchecked Sendable {
    /// The directory holding nginx.conf, its pid, logs and temporary files (and whatever `site` put there).
    public let directory: String
    public let process: TestProcess

    /// `servers` is the body of the `http {}` block; the fixture returns once every `listening` (host, port)
    /// accepts connections.
    public convenience init(servers: String, listening: [(host: String, port: Int)], workerConnections: Int = 256) async throws {
        try await self.init(listening: listening, workerConnections: workerConnections) { _ in servers }
    }

    /// `site` gets the fixture's directory (to write document roots into) and returns the body of the
    /// `http {}` block.
    public init(listening: [(host: String, port: Int)], workerConnections: Int = 256,
                site: (String) throws -> String) async throws {
        let nginx = try requiredTool("nginx", package: "nginx-light")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-nginx-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let servers = try site(directory)
        try NginxConfig.text(directory: directory, servers: servers, workerConnections: workerConnections)
            .write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process = try TestProcess(nginx, NginxConfig.arguments(directory: directory), name: "nginx", logDirectory: directory)
        do {
            for (host, port) in listening { try await TestPorts.waitForListener(host, port, timeout: 30, process: process) }
        } catch {
            let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
            stop()
            throw TestProcessError("nginx did not start: \(error)\n--- error.log\n\(log)")
        }
    }

    /// The path of `name` in the fixture's directory.
    public func file(_ name: String) -> String { directory + "/" + name }

    /// SIGKILL, reap, remove the directory.
    public func stop() {
        process.kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
