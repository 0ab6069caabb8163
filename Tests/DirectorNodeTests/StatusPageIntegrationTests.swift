import Foundation
import ShoalTestFixtures
import Testing

/// The status page of a running director, rendered by headless Chromium (127.0.56.x).
@Suite struct StatusPageIntegrationTests {
    @Test func theRenderedPageShowsEachServerWithItsCheckedState() async throws {
        let a = try Backend("http", "127.0.56.2", 8001, name: "A")
        defer { a.kill() }
        let token = "s3cret-\(UUID().uuidString)"
        let tokenFile = NSTemporaryDirectory() + "shoal-token-\(UUID().uuidString)"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let director = try await DirectorHarness("""
            director:
              admin: {listen: 127.0.56.1:9900, token_file: \(tokenFile)}
            services:
              - listen: 127.0.56.1:8080
                scheduler: rr
                check: {type: http, path: /, delay_loop: 0.3, connect_timeout: 0.5, retry: 0}
                inhibit_on_failure: true
                servers: [{address: 127.0.56.2:8001}, {address: 127.0.56.3:8001}]
            """)
        defer { Task { await director.stop() } }
        #expect(await eventually { director.weight("127.0.56.1:8080", "127.0.56.3:8001") == 0 })
        _ = try await offPool { try httpGets("http://127.0.56.1:8080/", count: 3) }

        // Without the token the API refuses.
        #expect(try await offPool { try admin("GET", "http://127.0.56.1:9900/api/services") }.status == 401)

        let chromium = try requiredTool("chromium", package: "chromium")
        let profile = NSTemporaryDirectory() + "shoal-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let browser = try TestProcess(chromium, [
            "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--no-proxy-server", "--user-data-dir=\(profile)",
            "--virtual-time-budget=4000", "--dump-dom", "http://127.0.56.1:9900/?token=\(token)",
        ])
        try await browser.wait()
        let dom = browser.outputLines.joined(separator: "\n")
        #expect(dom.contains("<html"), "chromium printed no DOM")
        let rows = dom.components(separatedBy: "<tr class=\"server").dropFirst().map { String($0.prefix(400)) }
        #expect(rows.contains { $0.contains("data-server=\"127.0.56.2:8001\"") && $0.contains("data-state=\"UP\"") }, "\(rows)")
        #expect(rows.contains { $0.contains("data-server=\"127.0.56.3:8001\"") && $0.contains("data-state=\"DOWN\"") }, "\(rows)")
        #expect(dom.contains("127.0.56.1:8080"))
    }
}
