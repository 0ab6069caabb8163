import DirectorAdmin
import Foundation
import NIOCore
import ShoalCore
import ShoalHTTP
import ShoalTestFixtures
import Testing

/// Issue 10 item 6 over real sockets: slow unauthenticated clients are capped and cut off, a body shorter
/// than its Content-Length is answered 408, and a refused token is answered before the body is sent.
@Suite struct SlowClientTests {

    @Test func slowAndUnauthenticatedClientsAreCutOff() async throws {
        let director = try AdminFixture.director()
        var configuration = AdminServerConfiguration(listen: Endpoint(IPAddress("127.0.77.10")!, 0), token: "tok")
        configuration.http.maxConnections = 2
        configuration.http.headerReadTimeout = .milliseconds(500)
        configuration.http.bodyReadTimeout = .milliseconds(500)
        let server = AdminServer(configuration: configuration, control: director)
        let address = try await server.start()
        let run = try await peers.run("slow_clients.py", ["\(address.address)", "\(address.port)"])
        await server.shutdown()
        #expect(run.status == 0, "\(run.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(out["third"] as? String == "HTTP/1.1 503 Service Unavailable")
        // Closed by the header timeout without an answer.
        #expect(out["slow"] as? [String] == ["", ""])
        #expect((out["slow_closed_within"] as? Double ?? 99) < 5)
        #expect(out["short_body"] as? String == "HTTP/1.1 408 Request Timeout")
        #expect(out["unauthenticated"] as? String == "HTTP/1.1 401 Unauthorized")
        #expect(await director.applyCalls == 0)
    }
}
