import Foundation
import ShoalTestFixtures

/// One TCP connection the client opens (source port 0: any).
struct Flow {
    var source: String
    var sourcePort: Int
    var to: String
    var port: Int
}

/// The namespaces `Netns/topology.sh` builds (a client, a director, three real servers on one switch),
/// the web servers on the real servers, and the client that opens connections through the director.
final class NFTNamespaceNetwork: @unchecked Sendable {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Netns")
    /// Real server i's address; it answers GET /id with "ri".
    static func realServer(_ i: Int) -> String { "10.210.2.1\(i)" }

    let prefix: String
    let ip: String
    let python: String
    let shoal: String
    let root: URL
    private var servers: [TestProcess] = []

    var director: String { "\(prefix)-d" }
    var client: String { "\(prefix)-c" }

    /// Builds the network and starts the web servers; a missing tool fails naming its package.
    init() async throws {
        guard getuid() == 0 else { throw TestProcessError("network namespaces and nftables need root") }
        ip = try requiredTool("ip", package: "iproute2")
        python = try requiredTool("python3", package: "python3")
        _ = try requiredTool("nft", package: "nftables")
        shoal = try ShoalBinary.executable()
        prefix = "shn-\(getpid())"
        root = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-nft-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let up = try await TestProcess.run("/bin/bash", [Self.folder.appendingPathComponent("topology.sh").path, "up", prefix, shoal], timeout: 60)
        guard up.status == 0 else {
            await tearDown()
            throw TestProcessError("topology.sh up failed: \(up)")
        }
        do {
            for i in 1...3 {
                let docs = root.appendingPathComponent("r\(i)")
                try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
                try "r\(i)\n".write(to: docs.appendingPathComponent("id"), atomically: true, encoding: .utf8)
                servers.append(try TestProcess(ip, ["netns", "exec", "\(prefix)-r\(i)", python, "-m", "http.server", "8080",
                                                    "--bind", "0.0.0.0", "--directory", docs.path], name: "web-r\(i)"))
            }
            try await waitForServers()
        } catch {
            await tearDown()
            throw error
        }
    }

    /// Each real server answers its own name directly (routed by the director, no rules yet).
    private func waitForServers() async throws {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let answers = try await connect((1...3).map { Flow(source: "10.210.1.2", sourcePort: 0, to: Self.realServer($0), port: 8080) })
            if answers == ["r1", "r2", "r3"] { return }
            guard Date() < deadline else { throw TestProcessError("the real servers did not answer: \(answers)") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Opens one connection per entry from the client namespace; the answering server's name (or "ERR ...") each.
    func connect(_ flows: [Flow]) async throws -> [String] {
        let input = flows.map { "\($0.source) \($0.sourcePort) \($0.to) \($0.port)" }.joined(separator: "\n") + "\n"
        let result = try await TestProcess.run(ip, ["netns", "exec", client, python, Self.folder.appendingPathComponent("client.py").path],
                                               stdin: input, timeout: 120)
        guard result.status == 0 else { throw TestProcessError("client.py failed: \(result)") }
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// `nft ARGS` in the director's namespace; its output.
    func nft(_ arguments: [String]) async throws -> String {
        let result = try await TestProcess.run(ip, ["netns", "exec", director, "nft"] + arguments, timeout: 30)
        guard result.status == 0 else { throw TestProcessError("nft \(arguments.joined(separator: " ")) failed: \(result)") }
        return result.stdout
    }

    /// Stops the web servers (by pid) and removes the namespaces and files.
    func tearDown() async {
        for server in servers { server.stop(grace: 2) }
        servers = []
        _ = try? await TestProcess.run("/bin/bash", [Self.folder.appendingPathComponent("topology.sh").path, "down", prefix], timeout: 60)
        try? FileManager.default.removeItem(at: root)
    }
}
