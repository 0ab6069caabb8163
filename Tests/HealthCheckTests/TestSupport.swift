import ShoalTestFixtures
import Foundation
import HealthCheck
import NIOCore
import NIOPosix
import ShoalCore

/// The event loops the checkers run on.
let testGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

/// The Python programs of this target (`Peers/*.py`).
let peers = PythonPeers(Bundle.module)

/// A Python peer (`Peers/peer.py MODE HOST`), listening on `host` at the port it printed.
final class PythonPeer: @unchecked Sendable {
    let process: TestProcess
    let endpoint: Endpoint

    init(_ mode: String, host: String) async throws {
        let process = try peers.launch("peer.py", [mode, host])
        self.process = process
        guard let line = try await process.readLine(timeout: 10), let port = UInt16(line),
              let endpoint = Endpoint("\(host):\(port)") else {
            process.kill()
            throw TestProcessError("python3 peer \(mode) on \(host) did not print its port: \(process.standardError)")
        }
        self.endpoint = endpoint
    }

    func stop() { process.kill() }
}

/// A port on `host` that nothing listens on.
func closedPort(on host: String) throws -> Endpoint {
    Endpoint("\(host):\(try TestPorts.free(host: host))")!
}

/// A spec with short timings for tests.
func quick(_ kind: CheckKind, timeout: Double = 2, retry: Int = 0) -> CheckSpec {
    CheckSpec(kind: kind, delayLoop: 0.2, connectTimeout: timeout, retry: retry, delayBeforeRetry: 0.1)
}

/// One attempt of `spec` against `server`.
func attempt(_ spec: CheckSpec, _ server: Endpoint) async -> CheckResult {
    await Checkers.make(spec, group: testGroup).check(server)
}

/// The site the HTTP checker tests read: a default server with an index, a page and a failing location, and a
/// virtual host, served by a real nginx (`NginxFixture`).
final class NginxServer: @unchecked Sendable {
    let endpoint: Endpoint
    let nginx: NginxFixture

    /// The default site's files and the virtual host's page.
    static let index = "hello from shoal: status ok\n"
    static let page = "a page whose digest the test computes\n"
    static let vhostPage = "virtual host page\n"

    init(host: String) async throws {
        let port = try TestPorts.free(host: host)
        let endpoint = Endpoint("\(host):\(port)")!
        self.endpoint = endpoint
        nginx = try await NginxFixture(listening: [(host, port)], workerConnections: 64) { d in
            for (folder, file, text) in [("www", "index.html", Self.index), ("www", "page.txt", Self.page),
                                         ("vhost", "vh.txt", Self.vhostPage)] {
                try FileManager.default.createDirectory(atPath: "\(d)/\(folder)", withIntermediateDirectories: true)
                try text.write(toFile: "\(d)/\(folder)/\(file)", atomically: true, encoding: .utf8)
            }
            return """
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
                """
        }
    }

    func stop() { nginx.stop() }
}

/// The MD5 of a file as md5sum (coreutils) prints it.
func md5sum(_ text: String) throws -> String {
    let md5sum = try requiredTool("md5sum", package: "coreutils")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("hc-md5-\(UUID().uuidString)")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    return String(try TestProcess.runBlocking(md5sum, [file.path]).succeeded().stdout.prefix(32))
}
