import DirectorAdmin
import Foundation
import ShoalTestFixtures
import ShoalCore
import ShoalServer
import Testing

/// Keep-alive, HEAD, graceful shutdown, and the bound address.
@Suite struct LifecycleTests {
    static let keepAliveScript = """
        import http.client, json, sys
        conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]))
        out = []
        for path in ["/api/stats", "/api/services/fwm-5", "/metrics"]:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            out.append([r.status, r.getheader("Connection"), len(body), conn.sock.getsockname()[1]])
        conn.request("HEAD", "/api/stats")
        r = conn.getresponse()
        out.append([r.status, r.getheader("Content-Length"), len(r.read()), conn.sock.getsockname()[1]])
        print(json.dumps(out))
        """

    @Test func requestsShareOneKeptAliveConnectionAndHeadHasNoBody() async throws {
        let python = try Processes.find("python3", package: "python3")
        let h = try await ServerHarness.start(host: "127.0.77.6")
        defer { Task { await h.stop() } }
        let run = try await Processes.run(python, ["-c", Self.keepAliveScript, "\(h.address.address)", "\(h.address.port)"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[Any]])
        #expect(rows.count == 4)
        #expect(rows.map { $0[0] as? Int } == [200, 200, 200, 200])
        #expect(rows.prefix(3).allSatisfy { $0[1] as? String == "keep-alive" && ($0[2] as? Int ?? 0) > 0 })
        // One client port for all four: one TCP connection.
        #expect(Set(rows.map { $0[3] as? Int }).count == 1)
        // HEAD: the GET's length, no body.
        #expect(Int(rows[3][1] as? String ?? "") ?? 0 > 0)
        #expect(rows[3][2] as? Int == 0)
    }

    static let idleScript = """
        import socket, sys
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        s.sendall(b"GET /api/stats HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            data += s.recv(65536)
        # Read the whole body too, so that what follows can only be the close.
        head, body = data.split(b"\\r\\n\\r\\n", 1)
        length = 0
        for line in head.split(b"\\r\\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += s.recv(65536)
        print("READY", flush=True)
        sys.stdin.readline()
        s.settimeout(30)
        rest = s.recv(65536)
        print("CLOSED" if rest == b"" else "OPEN")
        """

    @Test func shutdownClosesIdleKeepAliveConnectionsAndStopsListening() async throws {
        let python = try Processes.find("python3", package: "python3")
        let h = try await ServerHarness.start(host: "127.0.77.6")
        // A client that made one request and then idles on its keep-alive connection.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.idleScript, "\(h.address.address)", "\(h.address.port)"]
        let out = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardInput = input
        try process.run()
        let reader = out.fileHandleForReading
        let ready = try await offPool { () throws -> String in
            var text = ""
            while !text.contains("\n"), let chunk = try reader.read(upToCount: 1), !chunk.isEmpty { text += String(decoding: chunk, as: UTF8.self) }
            return text
        }
        #expect(ready == "READY\n")
        // Shutdown returns although a connection is open (it was idle, so it is closed).
        await h.server.shutdown()
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let verdict = try await offPool { () throws -> String in String(decoding: try reader.readToEnd() ?? Data(), as: UTF8.self) }
        process.waitUntilExit()
        #expect(verdict == "CLOSED\n")
        // Nothing listens any more.
        let curl = try Processes.find("curl", package: "curl")
        let refused = try await Processes.run(curl, ["-sS", "--noproxy", "*", h.url("/api/stats")])
        #expect(refused.status == 7, "\(refused.stderr)")
        // A second shutdown is harmless; start after shutdown is refused.
        await h.server.shutdown()
        await #expect(throws: ServerStateError.self) { try await h.server.start() }
    }

    @Test func boundAddressIsReported() async throws {
        let h = try await ServerHarness.start(host: "127.0.77.6")
        defer { Task { await h.stop() } }
        #expect(h.address.address == IPAddress("127.0.77.6")!)
        #expect(h.address.port != 0)
        #expect(await h.server.boundAddress == h.address)
        #expect(try await h.server.start() == h.address)
    }
}
