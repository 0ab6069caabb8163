import Foundation
import ShoalCore
import ShoalTestFixtures
import Testing
import WebServer

/// HTTPS, the access log, /metrics, and configuration errors.
@Suite struct NodeServicesTests {
    @Test(arguments: WebEngine.allCases) func httpsServesSmallAndLargeFiles(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, https: true)
        defer { Task { await f.stop() } }
        let answers = try await f.ask([("GET", "/hello.txt", [:]), ("GET", "/big.bin", [:]), ("GET", "/big.bin", ["Range": "bytes=5-99999,-10"])], tls: true)
        #expect(answers[0].body == WebNodeFixture.smallText)
        #expect(answers[1].sha256 == sha256(WebNodeFixture.bigContents()))
        #expect(answers[2].status == 206)
        #expect(answers[2].headers["content-length"] == "\(answers[2].length)")
        let tls = try #require(f.httpsAddress)
        let curl = try await f.curl(["-k", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "https://\(tls)/big.bin"])
        #expect(curl.stdout == "200 \(WebNodeFixture.bigSize)")
    }

    @Test(arguments: WebEngine.allCases) func accessLogUsesTheCombinedFormat(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        _ = try await f.ask([("GET", "/hello.txt", ["User-Agent": "tester \"quoted\"", "Referer": "http://ref/"]), ("GET", "/missing", [:])])
        f.node.accessLog?.flush()
        let path = f.base + "/access.log"
        var text = ""
        for _ in 0..<200 where !text.contains("/missing") {
            try await Task.sleep(for: .milliseconds(50))
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(lines.first.map(String.init))
        // The client connects from the kernel's choice of loopback source, 127.0.0.1.
        #expect(first.hasPrefix("127.0.0.1 - - ["))
        #expect(first.contains("+0000] \"GET /hello.txt HTTP/1.1\" 200 13 \"http://ref/\" \"tester \\x22quoted\\x22\""))
        #expect(lines.last?.contains("\"GET /missing HTTP/1.1\" 404 ") == true)
    }

    @Test(arguments: WebEngine.allCases) func metricsCountRequests(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, extra: "admin: { listen: \"127.0.150.1:0\" }\n")
        defer { Task { await f.stop() } }
        _ = try await f.ask([("GET", "/hello.txt", [:]), ("GET", "/nope", [:])])
        let admin = try await f.node.servers[1].start()
        let metrics = try await f.get("/metrics", to: ("\(admin.address)", Int(admin.port)))
        #expect(metrics.status == 200)
        #expect(metrics.body?.contains("shoal_web_requests_total{code=\"2xx\"} 1\n") == true)
        #expect(metrics.body?.contains("shoal_web_requests_total{code=\"4xx\"} 1\n") == true)
    }

    @Test func configurationErrorsNameFileLineAndField() throws {
        func error(_ yaml: String) -> String {
            do {
                _ = try WebNodeConfiguration.parse(ConfigDocument.parse(yaml, file: "web.yaml"))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(error("http: { listen: 127.0.0.1:80 }\n").contains("root"))
        #expect(error("root: /nonexistent-shoal\nhttp: { listen: 127.0.0.1:80 }\n").contains("web.yaml:1"))
        let typo = error("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\nautoindx: true\n")
        #expect(typo.contains("web.yaml:3") && typo.contains("autoindx"))
        let https = error("root: /tmp\nhttps: { listen: 127.0.0.1:443 }\n")
        #expect(https.contains("tls"))
        let range = error("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\nlimits: { ranges: 0 }\n")
        #expect(range.contains("limits.ranges") && range.contains("web.yaml:3"))
        #expect(error("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\n") == "no error")
        // The Server header goes out unchecked, so the name must be printable ASCII.
        let serverName = error("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\nserver_name: \"web\\r\\nSet-Cookie: x=1\"\n")
        #expect(serverName.contains("server_name") && serverName.contains("web.yaml:3"))
        #expect(error("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\nserver_name: web-node-2\n") == "no error")
        // The engine: epoll by default, nio on request; anything else, or epoll without http, names the line.
        let engine = error("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\nengine: kqueue\n")
        #expect(engine.contains("engine") && engine.contains("web.yaml:3"))
        let noHTTP = error("root: /tmp\nhttps: { listen: 127.0.0.1:443 }\ntls: { certificate: c, key: k }\nengine: epoll\n")
        #expect(noHTTP.contains("engine") && noHTTP.contains("web.yaml:4"))
        func engineOf(_ yaml: String) throws -> WebEngine {
            try WebNodeConfiguration.parse(ConfigDocument.parse("root: /tmp\nhttp: { listen: 127.0.0.1:80 }\n" + yaml, file: "web.yaml")).engine
        }
        #expect(try engineOf("") == .epoll)
        #expect(try engineOf("engine: nio\n") == .nio)
    }
}

extension WebNodeFixture {
    func get(_ path: String, to target: (String, Int)) async throws -> Answer {
        try await ask([("GET", path, [:])], to: target)[0]
    }
}
