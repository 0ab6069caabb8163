import ShoalTestFixtures
import Foundation
import HealthCheck
import NIOCore
import NIOPosix
import ShoalCore

/// A test needs a tool from a Debian package that is not installed.
struct MissingTool: Error, CustomStringConvertible {
    var path: String
    var package: String
    var description: String { "\(path) is missing: install the Debian package with `apt-get install -y \(package)`" }
}

func requireTool(_ path: String, package: String) throws {
    guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingTool(path: path, package: package) }
}

/// A peer process did not come up.
struct PeerFailed: Error, CustomStringConvertible {
    var description: String
}

/// The event loops the checkers run on.
let testGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

/// Reads one line from a pipe (on the calling thread; peers print their port at once).
func readLine(_ handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while true {
        let data = handle.readData(ofLength: 1)
        guard let byte = data.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
    }
}

/// A Python peer from `peerScript`, listening on `host` at the port it printed.
final class PythonPeer: @unchecked Sendable {
    let process = Process()
    let endpoint: Endpoint

    init(_ mode: String, host: String) throws {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/root/.pyenv/shims/python3"
        try requireTool(python, package: "python3")
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", peerScript, mode, host]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard let line = readLine(out.fileHandleForReading), let port = UInt16(line), let endpoint = Endpoint("\(host):\(port)") else {
            process.terminate()
            throw PeerFailed(description: "python3 peer \(mode) on \(host) did not print its port")
        }
        self.endpoint = endpoint
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A port on `host` that nothing listens on: bound, read back, closed.
func closedPort(on host: String) async throws -> Endpoint {
    let channel = try await ServerBootstrap(group: testGroup).bind(host: host, port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return Endpoint("\(host):\(port)")!
}

/// A spec with short timings for tests.
func quick(_ kind: CheckKind, timeout: Double = 2, retry: Int = 0) -> CheckSpec {
    CheckSpec(kind: kind, delayLoop: 0.2, connectTimeout: timeout, retry: retry, delayBeforeRetry: 0.1)
}

/// One attempt of `spec` against `server`.
func attempt(_ spec: CheckSpec, _ server: Endpoint) async -> CheckResult {
    await Checkers.make(spec, group: testGroup).check(server)
}

/// A real nginx serving a generated configuration from a temporary directory, stopped by PID.
final class NginxServer: @unchecked Sendable {
    let directory: URL
    let endpoint: Endpoint
    let process = Process()

    /// The default site's files and the virtual host's page.
    static let index = "hello from shoal: status ok\n"
    static let page = "a page whose digest the test computes\n"
    static let vhostPage = "virtual host page\n"

    init(host: String) async throws {
        try requireTool("/usr/sbin/nginx", package: "nginx-light")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hc-nginx-\(UUID().uuidString)")
        let www = directory.appendingPathComponent("www"), vhost = directory.appendingPathComponent("vhost")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: vhost, withIntermediateDirectories: true)
        try Self.index.write(to: www.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try Self.page.write(to: www.appendingPathComponent("page.txt"), atomically: true, encoding: .utf8)
        try Self.vhostPage.write(to: vhost.appendingPathComponent("vh.txt"), atomically: true, encoding: .utf8)
        endpoint = try await closedPort(on: host)
        let d = directory.path
        let conf = NginxConfig.text(directory: d, servers: """
            server {
                listen \(endpoint) default_server;
                server_name _;
                root \(d)/www;
                location = /fail { return 503 "down\\n"; }
            }
            server {
                listen \(endpoint);
                server_name vhost.shoal.test;
                root \(d)/vhost;
            }
            """, workerConnections: 64)
        try conf.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = NginxConfig.arguments(directory: d)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until it accepts connections (bounded by attempts, not by a timing assertion).
        for _ in 0..<200 {
            if await attempt(quick(.tcp, timeout: 1), endpoint).succeeded { return }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let log = (try? String(contentsOfFile: "\(d)/err.log", encoding: .utf8)) ?? ""
        stop()
        throw PeerFailed(description: "nginx did not start on \(endpoint): \(log)")
    }

    func stop() {
        // SIGKILL: nginx runs as one process (master_process off) and inherits the test runner's
        // blocked SIGTERM, so only SIGKILL is sure to stop it.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

/// The MD5 of a file as md5sum (coreutils) prints it.
func md5sum(_ text: String) throws -> String {
    try requireTool("/usr/bin/md5sum", package: "coreutils")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("hc-md5-\(UUID().uuidString)")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
    process.arguments = [file.path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(32))
}
