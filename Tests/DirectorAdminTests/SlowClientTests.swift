import DirectorAdmin
import Foundation
import NIOCore
import ShoalCore
import ShoalHTTP
import Testing

/// Issue 10 item 6 over real sockets: slow unauthenticated clients are capped and cut off, a body shorter
/// than its Content-Length is answered 408, and a refused token is answered before the body is sent.
@Suite struct SlowClientTests {
    static let script = """
        import json, socket, sys, time
        host, port = sys.argv[1], int(sys.argv[2])

        def read_all(s):
            data = b""
            s.settimeout(10)
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
            return data

        def status(data):
            return data.split(b"\\r\\n", 1)[0].decode() if data else ""

        out = {}
        slow = [socket.create_connection((host, port)) for _ in range(2)]
        for s in slow:
            s.sendall(b"POST /api/services HTTP/1.1\\r\\nHost: x\\r\\n")
        time.sleep(0.1)
        out["third"] = status(read_all(socket.create_connection((host, port))))
        start = time.time()
        out["slow"] = [status(read_all(s)) for s in slow]
        out["slow_closed_within"] = time.time() - start

        s = socket.create_connection((host, port))
        s.sendall(b"POST /api/services HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer tok\\r\\nContent-Length: 100\\r\\n\\r\\n{\\"add")
        out["short_body"] = status(read_all(s))

        s = socket.create_connection((host, port))
        s.sendall(b"POST /api/services HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer nope\\r\\nContent-Length: 60000\\r\\n\\r\\n")
        s.settimeout(10)
        out["unauthenticated"] = status(s.recv(65536))
        print(json.dumps(out))
        """

    @Test func slowAndUnauthenticatedClientsAreCutOff() async throws {
        let python = try Processes.find("python3", package: "python3")
        let director = try AdminFixture.director()
        var configuration = AdminServerConfiguration(listen: Endpoint(IPAddress("127.0.77.10")!, 0), token: "tok")
        configuration.http.maxConnections = 2
        configuration.http.headerReadTimeout = .milliseconds(500)
        configuration.http.bodyReadTimeout = .milliseconds(500)
        let server = AdminServer(configuration: configuration, control: director)
        let address = try await server.start()
        let run = try await Processes.run(python, ["-c", Self.script, "\(address.address)", "\(address.port)"])
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
