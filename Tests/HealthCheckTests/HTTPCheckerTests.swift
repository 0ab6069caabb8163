import HealthCheck
import ShoalCore
import Testing

/// The HTTP checker against a real nginx (Debian nginx-light) on 127.0.61.10.
@Suite struct HTTPCheckerTests {
    static func http(_ check: HTTPCheck) -> CheckSpec { quick(.http(check)) }

    @Test func statusBodyDigestAndVirtualHost() async throws {
        let nginx = try await NginxServer(host: "127.0.61.10")
        defer { nginx.stop() }
        let server = nginx.endpoint

        let ok = await attempt(Self.http(HTTPCheck()), server)
        #expect(ok.succeeded, "\(ok.message)")
        #expect(ok.message == "HTTP 200")

        let failing = await attempt(Self.http(HTTPCheck(path: "/fail")), server)
        #expect(!failing.succeeded)
        #expect(failing.message == "HTTP 503 (want 200-399)")
        let accepted = await attempt(Self.http(HTTPCheck(path: "/fail", status: HTTPStatusSet("500-503")!)), server)
        #expect(accepted.succeeded, "\(accepted.message)")
        let missing = await attempt(Self.http(HTTPCheck(path: "/nope", status: HTTPStatusSet("200")!)), server)
        #expect(missing.message == "HTTP 404 (want 200)")

        let body = await attempt(Self.http(HTTPCheck(body: "status ok")), server)
        #expect(body.succeeded, "\(body.message)")
        let lacks = await attempt(Self.http(HTTPCheck(body: "not there")), server)
        #expect(!lacks.succeeded)
        #expect(lacks.message == "body lacks 'not there'")

        let digest = try md5sum(NginxServer.page)
        let good = await attempt(Self.http(HTTPCheck(path: "/page.txt", digest: digest)), server)
        #expect(good.succeeded, "\(good.message)")
        let wrong = await attempt(Self.http(HTTPCheck(path: "/index.html", digest: digest)), server)
        #expect(!wrong.succeeded)
        #expect(wrong.message.hasPrefix("digest mismatch"))

        let vhost = await attempt(Self.http(HTTPCheck(path: "/vh.txt", body: "virtual host page", virtualhost: "vhost.shoal.test")), server)
        #expect(vhost.succeeded, "\(vhost.message)")
        let noVhost = await attempt(Self.http(HTTPCheck(path: "/vh.txt")), server)
        #expect(noVhost.message == "HTTP 404 (want 200-399)")
    }

    @Test func httpAgainstNonHTTPPeersFailsClearly() async throws {
        let smtp = try await PythonPeer("smtp", host: "127.0.61.1")
        let r = await attempt(Self.http(HTTPCheck()), smtp.endpoint)
        #expect(!r.succeeded)
        #expect(r.message.hasPrefix("malformed HTTP response (") || r.message == "connection closed without a response",
                "\(r.message)")
        let silent = try await PythonPeer("silent", host: "127.0.61.1")
        #expect(await attempt(quick(.http(HTTPCheck()), timeout: 0.3), silent.endpoint).message == "timeout after 0.3s")
        let closed = try closedPort(on: "127.0.61.1")
        #expect(await attempt(Self.http(HTTPCheck()), closed).message == "connection refused")
    }
}
