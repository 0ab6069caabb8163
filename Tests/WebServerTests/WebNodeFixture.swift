import Foundation
import Logging
import NIOCore
import NIOPosix
import ShoalCore
import ShoalTestFixtures
import WebServer

/// A document root with known files, a web node serving it on 127.0.150.x (port picked by the kernel), and the
/// Python peers to ask it. `stop()` drains the node and removes the files.
final class WebNodeFixture: @unchecked Sendable {
    let base: String
    let root: String
    let node: WebNode
    let address: Endpoint
    let peers = PythonPeers(Bundle.module)

    /// The test files: name → contents.
    static let smallText = "hello, shoal\n"
    static let bigSize = 1024 * 1024 + 123

    static func bigContents() -> [UInt8] { bigBytes }
    private static let bigBytes: [UInt8] = (0..<bigSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }

    /// - Parameter engine: what serves the http listener (the integration suites run on both).
    init(engine: WebEngine = .nio, host: String = "127.0.150.1", extra: String = "", https: Bool = false, revalidateMilliseconds: Int = 1000,
         root existingRoot: String? = nil) async throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-web-\(UUID().uuidString.prefix(8))").path
        root = existingRoot ?? base + "/root"
        if existingRoot == nil { try Self.populate(root: root, outside: base + "/outside") }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var yaml = """
            root: \(root)
            http: { listen: "\(host):0" }
            cache: { revalidate_ms: \(revalidateMilliseconds), memory_file_limit: 65536 }
            access_log: \(base)/access.log

            """
        if https {
            let (certificate, key) = try SelfSignedCertificate.make()
            yaml += "https: { listen: \"\(host):0\" }\ntls: { certificate: \(certificate), key: \(key) }\n"
        }
        yaml += "engine: \(engine.rawValue)\n"
        yaml += extra
        let configuration = try WebNodeConfiguration.parse(ConfigDocument.parse(yaml, file: "web.yaml"))
        node = try WebNode(configuration, logger: Logger(label: "test.web-node"))
        let bound = try await node.start()
        address = bound[0]
        httpsAddress = https ? bound[1] : nil
    }

    let httpsAddress: Endpoint?

    var host: String { "\(address.address)" }
    var port: Int { Int(address.port) }
    var url: String { "http://\(address)" }

    /// Writes the test tree: small and big files, a directory with and without an index, hidden files,
    /// precompressed siblings, a UTF-8 name, and links inside and outside the root.
    static func populate(root: String, outside: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/dir", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/noindex", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        func write(_ path: String, _ text: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }
        try write(root + "/index.html", "<html><body>home</body></html>\n")
        try write(root + "/hello.txt", smallText)
        try write(root + "/dir/index.html", "<html><body>dir index</body></html>\n")
        try write(root + "/noindex/file.txt", "in noindex\n")
        try write(root + "/.secret", "secret\n")
        try write(root + "/.git/config", "[core]\n")
        try write(root + "/café.txt", "accented\n")
        try write(root + "/style.css", "body { color: black; }\n")
        try write(root + "/style.css.gz", "GZIP-BYTES\n")
        try write(root + "/style.css.br", "BROTLI-BYTES\n")
        try write(outside + "/passwd", "root:x:0:0:outside the root\n")
        try Data(bigContents()).write(to: URL(fileURLWithPath: root + "/big.bin"))
        try fm.createSymbolicLink(atPath: root + "/inside-link.txt", withDestinationPath: "hello.txt")
        try fm.createSymbolicLink(atPath: root + "/outside-link.txt", withDestinationPath: outside + "/passwd")
        try fm.createSymbolicLink(atPath: root + "/outside-dir", withDestinationPath: outside)
    }

    /// One JSON answer of web_client.py.
    struct Answer: Decodable {
        var status: Int
        var headers: [String: String]
        var length: Int
        var sha256: String
        var body: String?
        var port: Int
    }

    /// Sends `requests` ([method, path, headers]) with Python's http.client to `host:port` (the node by default).
    func ask(_ requests: [(String, String, [String: String])], close: Bool = false, tls: Bool = false,
             to target: (String, Int)? = nil) async throws -> [Answer] {
        let json = try JSONSerialization.data(withJSONObject: requests.map { [$0.0, $0.1, $0.2] as [Any] })
        let (h, p) = target ?? (tls ? ("\(httpsAddress!.address)", Int(httpsAddress!.port)) : (host, port))
        var arguments = [h, "\(p)"]
        if close { arguments.append("--close") }
        if tls { arguments.append("--tls") }
        let result = try await peers.run("web_client.py", arguments, stdin: String(decoding: json, as: UTF8.self))
        guard result.status == 0 else { throw TestProcessError("web_client.py failed: \(result)") }
        return try JSONDecoder().decode([Answer].self, from: Data(result.stdout.utf8))
    }

    /// One GET (or other method) with http.client.
    func get(_ path: String, _ headers: [String: String] = [:], method: String = "GET") async throws -> Answer {
        try await ask([(method, path, headers)])[0]
    }

    /// Sends raw bytes (Python escapes allowed) and returns what came back.
    /// With `halfClose` the client shuts down its sending side after the bytes (a FIN after the requests).
    func raw(_ text: String, to target: (String, Int)? = nil, halfClose: Bool = false) async throws -> String {
        let (h, p) = target ?? (host, port)
        let result = try await peers.run("raw_http.py", [h, "\(p)"] + (halfClose ? ["--half-close"] : []), stdin: text)
        guard result.status == 0 else { throw TestProcessError("raw_http.py failed: \(result)") }
        return result.stdout
    }

    /// Runs curl with `arguments` and returns its result.
    func curl(_ arguments: [String]) async throws -> TestProcess.Result {
        let curl = try requiredTool("curl", package: "curl")
        return try await TestProcess.run(curl, ["-sS", "--max-time", "30"] + arguments)
    }

    func stop() async {
        for server in node.servers { await server.shutdownGracefully() }
        await node.stopFilePool()
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// The status line's code of each response in a raw exchange.
func statusCodes(_ raw: String) -> [Int] {
    // Split the bytes at LF (a String sees CR LF as one character, and a body ending in a bare LF runs into
    // the next status line).
    raw.utf8.split(separator: UInt8(ascii: "\n")).compactMap { bytes in
        let line = String(decoding: bytes, as: UTF8.self)
        guard line.hasPrefix("HTTP/1."), line.utf8.count >= 12 else { return nil }
        return Int(line.dropFirst(9).prefix(3))
    }
}
