import HealthCheck
import NIOPosix
import Testing
import WebServer

/// The director's HTTP health check (keepalived HTTP_GET) against a web node works without configuration.
@Suite struct WebHealthCheckTests {
    @Test(arguments: WebEngine.allCases) func theDirectorsHTTPCheckSeesTheNodeUp(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, host: "127.0.150.6")
        defer { Task { await f.stop() } }
        func check(_ http: HTTPCheck) async -> CheckResult {
            await Checkers.make(CheckSpec(kind: .http(http), connectTimeout: 60), group: MultiThreadedEventLoopGroup.singleton).check(f.address)
        }
        let plain = await check(HTTPCheck())
        #expect(plain.succeeded, "\(plain.message)")
        let withBody = await check(HTTPCheck(path: "/index.html", body: "home"))
        #expect(withBody.succeeded, "\(withBody.message)")
        let missing = await check(HTTPCheck(path: "/gone.html"))
        #expect(!missing.succeeded)
        #expect(missing.message.contains("404"), "\(missing.message)")
    }
}
