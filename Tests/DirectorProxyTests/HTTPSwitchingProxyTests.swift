import Director
import DirectorProxy
import Foundation
import ShoalTestFixtures
import NIOCore
import ShoalCore
import Testing

/// The content switch between real clients (curl, python3 http.client) and real nginx servers, with a
/// scheduler over a real DirectorTable. Each test uses its own 127.77.X.0/24.
@Suite struct HTTPSwitchingProxyTests {
    /// nginx servers A, B (default pool), S (static, fwmark 1), C (api, fwmark 2) on 127.77.X.11-14:8080.
    struct Bed {
        let nginx: NginxFixture
        let scheduler: L7TableScheduler
        let listener: L7ProxyListener
        let a, b, s, c, refused: Endpoint
        var vip: Endpoint { listener.endpoint }

        func stop() async {
            await listener.stop()
            nginx.stop()
        }
    }

    static let rules = """
        http:
          cookie: SHOALSRV
          rules:
            - {host: static.example.com, pool: static}
            - {path_prefix: /api/, method: POST, pool: api}
            - {path_regex: '\\.(png|css)$', pool: static}
            - {header: {name: X-Beta, value: "1"}, pool: api}
            - {path_prefix: /down/, pool: down}
            - {path_prefix: /empty/, pool: empty}
        """

    static func bed(_ x: Int, defaultServers: ((Endpoint, Endpoint, Endpoint) -> [Endpoint])? = nil,
                    receiveProxyProtocol: Bool = false) async throws -> Bed {
        let a = l7Endpoint("127.77.\(x).11:8080"), b = l7Endpoint("127.77.\(x).12:8080")
        let s = l7Endpoint("127.77.\(x).13:8080"), c = l7Endpoint("127.77.\(x).14:8080")
        let refused = l7Endpoint("127.77.\(x).99:8080")
        let nginx = try await l7Nginx(servers: [("A", a), ("B", b), ("S", s), ("C", c)].map { l7BackendServer($0.0, $0.1) }
            .joined(separator: "\n"), listening: [a, b, s, c])
        let scheduler = L7TableScheduler()
        let pools: [String: VirtualServiceKey] = [
            "static": .fwmark(1, .inet), "api": .fwmark(2, .inet), "down": .fwmark(3, .inet), "empty": .fwmark(4, .inet),
        ]
        let config = try HTTPServiceConfig.parse(try ConfigDocument.parse(rules, file: "http.yaml").required("http"), pools: pools)
        let listener = try await L7ProxyListener(address: "127.77.\(x).1", receiveProxyProtocol: receiveProxyProtocol) { vip in
            HTTPSwitchingProxy(config: config, scheduler: scheduler, virtual: vip, connectTimeout: .seconds(10), idleTimeout: .seconds(120))
        }
        let vip = listener.endpoint
        try l7AddService(scheduler, .address(.tcp, vip), servers: defaultServers?(a, b, refused) ?? [a, b])
        try l7AddService(scheduler, .fwmark(1, .inet), servers: [s])
        try l7AddService(scheduler, .fwmark(2, .inet), servers: [c])
        try l7AddService(scheduler, .fwmark(3, .inet), servers: [refused])
        try l7AddService(scheduler, .fwmark(4, .inet), servers: [])
        return Bed(nginx: nginx, scheduler: scheduler, listener: listener, a: a, b: b, s: s, c: c, refused: refused)
    }

    /// `curl -i` from source address `from`; returns (status line, headers text, body).
    func curl(_ bed: Bed, _ path: String, from: String, _ extra: [String] = []) throws -> (status: String, headers: String, body: String) {
        let out = try l7Curl(["-i", "--interface", from] + extra + ["http://\(bed.vip)\(path)"])
        let parts = out.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        return (head.components(separatedBy: "\r\n").first ?? "", head, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func rulesRouteEachRequestAndTheServerSeesTheClient() async throws {
        let bed = try await Self.bed(21)
        defer { bed.nginx.stop(); Task { await bed.listener.stop() } }
        let from = "127.77.21.50"

        #expect(try curl(bed, "/x", from: from, ["-H", "Host: static.example.com"]).body.hasPrefix("backend-S /x "))
        #expect(try curl(bed, "/api/v1", from: from, ["-X", "POST", "-d", "k=v"]).body.hasPrefix("backend-C /api/v1 "))
        #expect(try curl(bed, "/api/v1", from: from).body.range(of: "^backend-[AB] ", options: .regularExpression) != nil)
        #expect(try curl(bed, "/site/a.css?v=1", from: from).body.hasPrefix("backend-S /site/a.css?v=1 "))
        #expect(try curl(bed, "/beta", from: from, ["-H", "X-Beta: 1"]).body.hasPrefix("backend-C /beta "))
        // Round robin over A and B for the default pool.
        let defaults = try (0..<4).map { _ in try curl(bed, "/", from: from).body.prefix(9) }
        #expect(Set(defaults) == ["backend-A", "backend-B"])

        // X-Forwarded-For is appended to; Forwarded names the client and the proxy.
        let seen = try curl(bed, "/who", from: from, ["-H", "X-Forwarded-For: 198.51.100.1"]).body
        #expect(seen.contains("xff=198.51.100.1, \(from) "), "\(seen)")
        #expect(seen.contains("fwd=for=\(from);proto=http;by=\"\(bed.vip)\" "), "\(seen)")
        #expect(seen.contains("proto=http\n"), "\(seen)")

        // One keep-alive connection, each request routed on its own; the same server connection is
        // kept while requests go to the same pool.
        let output = try await l7Python("keepalive_routes.py", ["\(bed.vip.address)", "\(bed.vip.port)", from])
        let words = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(words.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) == ["backend-S", "backend-S", "backend-C", "backend-S", "backend-C"])
        #expect(Set(words.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)).count == 1, "one client connection: \(output)")

        // Every lease is closed once its connection ends, with traffic reported.
        bed.nginx.stop()
        let settled = await l7Eventually {
            bed.scheduler.snapshot { $0.closedLeases.count == $0.leases.count }
        }
        #expect(settled)
        bed.scheduler.snapshot { s in
            // Ten curl connections, and four server connections for the five keep-alive requests
            // (S, C, S, C: the two .png requests share one).
            #expect(s.leases.count == 10 + 4, "\(s.leases.map(\.destination))")
            #expect(s.inBytes > 0 && s.outBytes > 0)
            #expect(s.abandoned.isEmpty)
        }
    }

    @Test func cookiePersistenceHoldsAcrossConnectionsAndMovesWhenTheServerLeaves() async throws {
        let bed = try await Self.bed(22)
        defer { bed.nginx.stop(); Task { await bed.listener.stop() } }
        let jarDirectory = try l7TempDirectory("jar")
        defer { try? FileManager.default.removeItem(at: jarDirectory) }
        let jar = jarDirectory.appendingPathComponent("cookies").path
        let from = "127.77.22.50"
        let first = try curl(bed, "/", from: from, ["--cookie-jar", jar, "--cookie", jar])
        let chosen = String(first.body.prefix(9))
        let setCookie = first.headers.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix("set-cookie:") }
        #expect(setCookie.count == 1)
        let chosenServer = chosen == "backend-A" ? bed.a : bed.b
        let other = chosen == "backend-A" ? bed.b : bed.a
        #expect(setCookie.first == "Set-Cookie: SHOALSRV=\(HTTPCookiePersistence.token(for: chosenServer)); Path=/; HttpOnly")
        #expect(!(setCookie.first ?? "").contains("127.77"))

        // Round robin would alternate; the cookie keeps the client on its server, without new cookies.
        for _ in 0..<4 {
            let again = try curl(bed, "/", from: from, ["--cookie-jar", jar, "--cookie", jar])
            #expect(again.body.hasPrefix(chosen))
            #expect(!again.headers.lowercased().contains("set-cookie"))
        }
        // Another client without the cookie is balanced as usual.
        let others = try (0..<2).map { _ in try curl(bed, "/", from: "127.77.22.51").body.prefix(9) }
        #expect(Set(others) == ["backend-A", "backend-B"])

        // Weight 0: the cookie is no longer honoured; the client moves and gets a new cookie.
        try bed.scheduler.apply(.editServer(.address(.tcp, bed.vip), RealServerConfig(endpoint: chosenServer, forwarding: .masquerade, weight: 0)))
        let moved = try curl(bed, "/", from: from, ["--cookie-jar", jar, "--cookie", jar])
        let otherName = chosen == "backend-A" ? "backend-B" : "backend-A"
        #expect(moved.body.hasPrefix(otherName))
        #expect(moved.headers.contains("Set-Cookie: SHOALSRV=\(HTTPCookiePersistence.token(for: other));"))
        // And it sticks there, even when the first server is back (its cookie now names the other).
        try bed.scheduler.apply(.editServer(.address(.tcp, bed.vip), RealServerConfig(endpoint: chosenServer, forwarding: .masquerade, weight: 1)))
        for _ in 0..<2 {
            #expect(try curl(bed, "/", from: from, ["--cookie-jar", jar, "--cookie", jar]).body.hasPrefix(otherName))
        }
        // Removed server: same.
        try bed.scheduler.apply(.deleteServer(.address(.tcp, bed.vip), other))
        let afterRemoval = try curl(bed, "/", from: from, ["--cookie-jar", jar, "--cookie", jar])
        #expect(afterRemoval.body.hasPrefix(chosen))
        #expect(afterRemoval.headers.contains("Set-Cookie: SHOALSRV=\(HTTPCookiePersistence.token(for: chosenServer));"))
    }

    @Test func refusedServersAreRetriedAndNoServerIs503() async throws {
        let bed = try await Self.bed(23, defaultServers: { a, _, refused in [refused, a] })
        defer { bed.nginx.stop(); Task { await bed.listener.stop() } }
        let from = "127.77.23.50"
        for _ in 0..<4 {
            let r = try curl(bed, "/r", from: from)
            #expect(r.status == "HTTP/1.1 200 OK")
            #expect(r.body.hasPrefix("backend-A /r "))
        }
        bed.scheduler.snapshot { s in
            #expect(!s.abandoned.isEmpty)
            #expect(s.abandoned.allSatisfy { $0.destination == bed.refused })
        }
        // A pool whose only server refuses, and an empty pool: 503 with a short body, connection kept.
        let down = try curl(bed, "/down/x", from: from)
        #expect(down.status == "HTTP/1.1 503 Service Unavailable")
        #expect(down.body.contains("no server"))
        #expect(try curl(bed, "/empty/x", from: from).status == "HTTP/1.1 503 Service Unavailable")
        let output = try await l7Python("keepalive_statuses.py", ["\(bed.vip.address)", "\(bed.vip.port)", from])
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "503:503 200:backend-A 503:503 200:backend-A")
    }

    @Test func garbageGets400AndHalfCloseFinishesTheResponse() async throws {
        let bed = try await Self.bed(24)
        defer { bed.nginx.stop(); Task { await bed.listener.stop() } }
        let bad = try await l7RawExchange(bed.vip, send: ByteBuffer(string: "THIS IS NOT HTTP\r\n\r\n"))
        #expect(bad.hasPrefix("HTTP/1.1 400 Bad Request"), "\(bad)")
        let huge = try await l7RawExchange(bed.vip, send: ByteBuffer(string: "GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n"))
        #expect(huge.hasPrefix("HTTP/1.1 400"), "\(huge.prefix(80))")

        // The client sends its request and shuts down its sending side: the answer still comes, then the close.
        let halfClosed = try await l7RawExchange(bed.vip, send: ByteBuffer(string: "GET /hc HTTP/1.1\r\nHost: h\r\n\r\n"), halfClose: true)
        #expect(halfClosed.hasPrefix("HTTP/1.1 200 OK"), "\(halfClosed)")
        #expect(halfClosed.contains("/hc xff="), "\(halfClosed)")
        // Two pipelined requests, then half-close: both answered in order.
        let pipelined = try await l7RawExchange(bed.vip, send: ByteBuffer(string: "GET /p1 HTTP/1.1\r\nHost: h\r\n\r\nGET /p2.png HTTP/1.1\r\nHost: h\r\n\r\n"), halfClose: true)
        let p1 = pipelined.range(of: "/p1 "), p2 = pipelined.range(of: "backend-S /p2.png ")
        #expect(p1 != nil && p2 != nil && p1!.lowerBound < p2!.lowerBound, "\(pipelined)")
    }

    @Test func proxyProtocolClientAddressIsForwarded() async throws {
        let bed = try await Self.bed(25, receiveProxyProtocol: true)
        defer { bed.nginx.stop(); Task { await bed.listener.stop() } }
        for version in ProxyProtocolVersion.allCases {
            var bytes = ProxyProtocolHeader(source: l7Endpoint("203.0.113.9:5555"), destination: bed.vip).encoded(version)
            bytes.writeString("GET /pp HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            let answer = try await l7RawExchange(bed.vip, send: bytes)
            #expect(answer.contains("/pp xff=203.0.113.9 fwd=for=203.0.113.9;"), "\(version): \(answer)")
        }
        // No header: the connection is closed without an answer.
        let refused = try await l7RawExchange(bed.vip, send: ByteBuffer(string: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(refused.isEmpty)
        bed.scheduler.snapshot { s in
            #expect(s.requests.allSatisfy { $0.client.address == IPAddress("203.0.113.9") })
        }
    }
}
