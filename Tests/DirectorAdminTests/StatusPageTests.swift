import Director
import DirectorAdmin
import Foundation
import HealthCheck
import ShoalCore
import ShoalTestFixtures
import Testing

/// The HTML status page: served markup (curl) and the live DOM in headless Chromium.
@Suite struct StatusPageTests {
    /// `chromium --headless --dump-dom` after the page's script has had virtual time to run.
    static func dumpDOM(_ url: String) async throws -> String {
        let chromium = try requiredTool("chromium", package: "chromium")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("admin-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let run = try await TestProcess.run(chromium, [
            "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--no-proxy-server",
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=4000", "--dump-dom", url,
        ])
        guard run.status == 0, run.stdout.contains("<html") else {
            throw CurlError(description: "chromium failed (\(run.status)): \(run.stderr.suffix(2000))")
        }
        return run.stdout
    }

    /// `data-server` → `data-state` of every server row in the markup.
    static func rowStates(_ html: String) -> [String: String] {
        var states: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"<tr class="server[^"]*"[^>]*data-server="([^"]+)"[^>]*data-state="([A-Z]+)""#)
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let server = String(html[Range(match.range(at: 1), in: html)!])
            states[server] = String(html[Range(match.range(at: 2), in: html)!])
        }
        return states
    }

    static let expected = ["127.0.0.2:80": "UP", "127.0.0.3:80": "DOWN", "[2001:db8::10]:53": "NOCHECK", "127.0.0.4:0": "DRAIN"]

    @Test func servedMarkupHasEveryRowAndEscapesText() async throws {
        let h = try await ServerHarness.start(host: "127.0.77.4", refresh: 3)
        defer { Task { await h.stop() } }
        let page = try await Curl.request("GET", h.url("/"))
        #expect(page.status == 200)
        #expect(Self.rowStates(page.body) == Self.expected)
        #expect(page.body.contains(#"<body data-refresh="3" data-refreshed="0">"#))
        #expect(page.body.contains(#"<table class="service" id="service-tcp-127.0.0.1-8080" data-service-id="tcp-127.0.0.1-8080" data-service="tcp 127.0.0.1:8080">"#))
        #expect(page.body.contains(#"id="service-udp-%5B2001%3Adb8%3A%3A1%5D-53""#))
        // The hostile check message shows only escaped.
        #expect(!page.body.contains("<b id="))
        #expect(page.body.contains("refused &lt;b id=&quot;pwn&quot;&gt;&amp;&#39;x&#39;&lt;/b&gt;"))
        // History strip: one cell per result, coloured by class, titled.
        #expect(page.body.contains(#"<td class="history"><span class="check ok" title="2023-11-14T22:15:00Z HTTP 200"></span><span class="check fail""#))
        #expect(page.body.contains("<script>"))
        #expect(try await Curl.request("GET", h.url("/status")).body.contains("data-service=\"fwm 5\""))
    }

    @Test func chromiumShowsLiveStatesAndFollowsChanges() async throws {
        let token = "page-token"
        let h = try await ServerHarness.start(token: token, host: "127.0.77.4")
        defer { Task { await h.stop() } }
        let dom = try await Self.dumpDOM(h.url("/status?token=\(token)"))
        #expect(Self.rowStates(dom) == Self.expected)
        // The script fetched api/services with the token and re-rendered at least once, without error.
        let refreshed = try #require(try NSRegularExpression(pattern: #"data-refreshed="(\d+)""#)
            .firstMatch(in: dom, range: NSRange(dom.startIndex..., in: dom)).map { Int(dom[Range($0.range(at: 1), in: dom)!])! })
        #expect(refreshed >= 1, "the page's script never refreshed")
        let bodyTag = try #require(dom.range(of: "<body[^>]*>", options: .regularExpression).map { String(dom[$0]) })
        #expect(!bodyTag.contains("data-refresh-error"), "\(bodyTag)")
        #expect(dom.contains("updated "))
        // The DOM never contains the injected element.
        #expect(!dom.contains("<b id="))

        // Drain through the API, bring a server up: a later load shows it.
        #expect(try await Curl.request("POST", h.url("/api/services/tcp-127.0.0.1-8080/servers/127.0.0.2-80/drain"), token: token).status == 200)
        await h.director.setHealth(HealthKey(service: AdminFixture.web, server: AdminFixture.down),
                                   ServerHealthReport(isUp: true, checkKind: "tcp"))
        let later = try await Self.dumpDOM(h.url("/?token=\(token)"))
        var expected = Self.expected
        expected["127.0.0.2:80"] = "DRAIN"
        expected["127.0.0.3:80"] = "UP"
        #expect(Self.rowStates(later) == expected)
    }

    @Test func theScriptReRendersFromTheAPI() async throws {
        // The first snapshot (the server-rendered HTML) says UP; every later one (the script's fetches) says
        // DRAIN. Chromium's DOM can only show DRAIN if the script fetched api/services and re-rendered.
        var drained = try AdminFixture.table()
        try drained.apply(.editServer(AdminFixture.web, RealServerConfig(endpoint: AdminFixture.up, forwarding: .masquerade, weight: 0,
                                                                         upperThreshold: 50, lowerThreshold: 20)))
        let control = StaleFirstDirector(first: DirectorSnapshot(table: try AdminFixture.table(), health: AdminFixture.health(), startedAt: 1),
                                         later: DirectorSnapshot(table: drained, health: AdminFixture.health(), startedAt: 1))
        let server = AdminServer(configuration: AdminServerConfiguration(listen: Endpoint("127.0.77.5:0")!), control: control)
        let address = try await server.start()
        let dom: String
        do {
            dom = try await Self.dumpDOM("http://\(address)/")
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
        #expect(await control.calls >= 2)
        #expect(Self.rowStates(dom)["127.0.0.2:80"] == "DRAIN")
        #expect(dom.contains(#"data-weight="0""#))
        #expect(dom.contains("HTTP 200"), "check results re-rendered by the script")
    }
}

/// Answers its first snapshot from one table and every later one from another.
actor StaleFirstDirector: DirectorControl {
    let first: DirectorSnapshot
    let later: DirectorSnapshot
    private(set) var calls = 0

    init(first: DirectorSnapshot, later: DirectorSnapshot) {
        self.first = first
        self.later = later
    }

    func snapshot() -> DirectorSnapshot {
        calls += 1
        return calls == 1 ? first : later
    }

    func apply(_ commands: [IPVSCommand]) throws(ConfigError) { throw ConfigError("read-only") }
}
