import Foundation
import HTTPCache
import Logging
import ShoalCore
import ShoalTestFixtures

/// An nginx origin on a loopback address of this suite (127.0.180.0/24 … 127.0.189.0/24) serving test files
/// with chosen cache headers; its access log counts the fetches that reached it.
final class OriginFixture: @unchecked Sendable {
    let nginx: NginxFixture
    let host: String
    let port: Int
    var authority: String { "\(host):\(port)" }

    /// Files: /fresh.txt (max-age=300), /zero.txt (max-age=0, validators), /nostore.txt (no-store),
    /// /private.txt, /vary.txt (Vary: Accept-Language), /slow.bin (200 KiB at 100 KiB/s), /big.bin (100 KiB),
    /// /post (POST answered 200 via a static file), /swr.txt (max-age=1, stale-while-revalidate=60), /trickle.bin (100 KiB
    /// at 5 KiB/s), /shortkeep.txt (no-store; nginx closes the kept-alive connection after 1 s).
    init(host: String) async throws {
        self.host = host
        let port = try TestPorts.free(host: host)
        self.port = port
        nginx = try await NginxFixture(listening: [(host, port)]) { directory in
            let root = directory + "/root"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            for name in ["fresh.txt", "zero.txt", "nostore.txt", "private.txt", "vary.txt", "swr.txt", "post", "cdn.txt"] {
                try "contents of \(name)\n".write(toFile: root + "/" + name, atomically: true, encoding: .utf8)
            }
            try Data((0..<(200 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: root + "/slow.bin"))
            try Data((0..<(100 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 13) }).write(to: URL(fileURLWithPath: root + "/big.bin"))
            try Data((0..<(100 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 5) }).write(to: URL(fileURLWithPath: root + "/trickle.bin"))
            try "contents of shortkeep.txt\n".write(toFile: root + "/shortkeep.txt", atomically: true, encoding: .utf8)
            return """
                server {
                    listen \(host):\(port);
                    root \(root);
                    access_log \(directory)/access.log;
                    location = /fresh.txt { add_header Cache-Control "max-age=300"; }
                    location = /big.bin { add_header Cache-Control "max-age=300"; }
                    location = /zero.txt { add_header Cache-Control "max-age=0"; }
                    location = /nostore.txt { add_header Cache-Control "no-store"; }
                    location = /private.txt { add_header Cache-Control "private, max-age=300"; }
                    location = /vary.txt { add_header Cache-Control "max-age=300"; add_header Vary "Accept-Language"; }
                    location = /swr.txt { add_header Cache-Control "max-age=1, stale-while-revalidate=60"; }
                    location = /cdn.txt { add_header Cache-Control "no-store"; add_header CDN-Cache-Control "max-age=300"; }
                    location = /slow.bin { add_header Cache-Control "max-age=300"; limit_rate 100k; }
                    location = /trickle.bin { add_header Cache-Control "max-age=300"; limit_rate 5k; }
                    location = /shortkeep.txt { add_header Cache-Control "no-store"; keepalive_timeout 1s; }
                    location = /post { error_page 405 =200 $uri; add_header Cache-Control "max-age=300"; }
                }
                """
        }
    }

    /// Access log lines for `path` (method and status included), e.g. `"GET /fresh.txt HTTP/1.1" 200`.
    func fetches(_ path: String) -> [String] {
        let log = (try? String(contentsOfFile: nginx.file("access.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").map(String.init).filter { $0.contains(" \(path) HTTP/") }
    }

    func stop() { nginx.stop() }
}

/// One in-process cache node on `host` with its store in a fresh directory (or a given one).
final class CacheNodeFixture: @unchecked Sendable {
    let node: CacheNode
    let directory: String
    let http: Endpoint
    let admin: Endpoint
    let icp: Endpoint?
    let ownsDirectory: Bool

    /// `icpPort` nil: no ICP. `peers` YAML list entries. `extra` more top-level YAML.
    init(host: String, origin: OriginFixture?, name: String = "node", icpPort: Int? = nil, peers: [String] = [], extra: String = "",
         directory existing: String? = nil, httpPort: Int = 0, icpAllow: [String] = []) async throws {
        let directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cache-\(UUID().uuidString.prefix(8))").path
        self.directory = directory
        ownsDirectory = existing == nil
        var yaml = """
            name: \(name)
            http: { listen: "\(host):\(httpPort)" }
            admin: { listen: "\(host):0" }
            store: { directory: \(directory), memory_object_limit: 65536 }
            access_log: \(directory)/access.log
            purge_allow: [127.0.0.1]

            """
        if let origin { yaml += "origin: { servers: [\"\(origin.authority)\"] }\n" }
        if let icpPort {
            yaml += "icp:\n  listen: \"\(host):\(icpPort)\"\n  timeout_ms: 2000\n  timeout_floor_ms: 300\n  down_after: 2\n"
            if !icpAllow.isEmpty { yaml += "  allow: [\(icpAllow.joined(separator: ", "))]\n" }
            if !peers.isEmpty { yaml += "  peers:\n" + peers.map { "    - \($0)\n" }.joined() }
        }
        yaml += extra
        let configuration = try CacheNodeConfiguration.parse(ConfigDocument.parse(yaml, file: "cache.yaml"))
        node = try CacheNode(configuration, logger: Logger(label: "test.cache-node"))
        let bound = try await node.start()
        http = bound[0]
        admin = bound[1]
        icp = icpPort == nil ? nil : bound[2]
    }

    var proxy: String { "http://\(http)" }

    func stop(removing: Bool = true) async {
        await node.stop()
        if removing, ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    func metrics() async throws -> String {
        try await Curl.run(["http://\(admin)/metrics"]).stdout
    }

    /// The value of one metric line (`name` or `name{labels}`).
    func metric(_ name: String) async throws -> Int? {
        let text = try await metrics()
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last!) }
    }

    var accessLog: String {
        node.flushAccessLog()
        return (try? String(contentsOfFile: directory + "/access.log", encoding: .utf8)) ?? ""
    }
}

/// curl, the real HTTP client of these tests.
enum Curl {
    static func run(_ arguments: [String]) async throws -> TestProcess.Result {
        let curl = try requiredTool("curl", package: "curl")
        return try await TestProcess.run(curl, ["-sS", "--max-time", "30"] + arguments)
    }

    /// One request: status, headers (lowercased names, last value wins) and body.
    static func get(_ url: String, proxy: String? = nil, headers: [String] = [], method: String? = nil, data: String? = nil) async throws
        -> (status: Int, headers: [String: String], body: String) {
        var arguments = ["-D", "-", "-o", "-"]
        if let proxy { arguments += ["--proxy", proxy] }
        for header in headers { arguments += ["-H", header] }
        if let method { arguments += ["-X", method] }
        if let data { arguments += ["--data", data] }
        let result = try await run(arguments + [url])
        guard result.status == 0 else { throw TestProcessError("curl failed: \(result)") }
        return parse(result.stdout)
    }

    static func parse(_ output: String) -> (status: Int, headers: [String: String], body: String) {
        guard let split = output.range(of: "\r\n\r\n") else { return (0, [:], output) }
        var lines = output[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, String(output[split.upperBound...]))
    }
}
