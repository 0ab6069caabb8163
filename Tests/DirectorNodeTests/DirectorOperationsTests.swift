import Director
import DirectorNode
import Foundation
import ShoalTestFixtures
import ShoalCore
import Testing

/// Live changes while clients keep coming: admin API edits, configuration reloads, PROXY headers to a
/// real nginx, L7 switching through the director (127.0.50.x - 127.0.54.x).
@Suite(.serialized) struct DirectorOperationsTests {
    @Test func adminChangesUnderLoadFailNoRequest() async throws {
        let a = try Backend("http", "127.0.50.2", 8001, name: "A")
        let b = try Backend("http", "127.0.50.3", 8001, name: "B")
        let c = try Backend("http", "127.0.50.4", 8001, name: "C")
        defer { a.kill(); b.kill(); c.kill() }
        let director = try await DirectorHarness("""
            director:
              admin: {listen: 127.0.50.1:9900}
            services:
              - listen: 127.0.50.1:8080
                scheduler: wrr
                servers: [{address: 127.0.50.2:8001}, {address: 127.0.50.3:8001}]
            """)
        defer { Task { await director.stop() } }
        let api = "http://127.0.50.1:9900/api/services/tcp-127.0.50.1-8080"
        let load = try LoopingClient("http://127.0.50.1:8080/")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await offPool { try admin("PATCH", api + "/servers/127.0.50.3-8001", json: #"{"weight": 3}"#) }.status == 200)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await offPool { try admin("POST", api + "/servers", json: #"{"address": "127.0.50.4", "port": 8001, "weight": 2}"#) }.status == 201)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await offPool { try admin("POST", api + "/servers/127.0.50.2-8001/drain") }.status == 200)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await offPool { try admin("DELETE", api + "/servers/127.0.50.2-8001") }.status == 204)
        try await Task.sleep(for: .milliseconds(300))
        let lines = await load.finish()
        #expect(lines.filter { $0.hasPrefix("FAIL") }.isEmpty, "failures: \(lines.filter { $0.hasPrefix("FAIL") }.prefix(3))")
        let counts = tally(lines)
        #expect(counts["A", default: 0] > 0 && counts["B", default: 0] > 0 && counts["C", default: 0] > 0)
        #expect(director.weight("127.0.50.1:8080", "127.0.50.2:8001") == nil)
        #expect(director.weight("127.0.50.1:8080", "127.0.50.3:8001") == 3)
        #expect(director.weight("127.0.50.1:8080", "127.0.50.4:8001") == 2)
        // A bad request is a 4xx with a JSON error and changes nothing.
        let bad = try await offPool { try admin("PATCH", api + "/servers/127.0.50.3-8001", json: #"{"weight": -1}"#) }
        #expect(bad.status == 400 && bad.body.contains("\"error\""))
        #expect(director.weight("127.0.50.1:8080", "127.0.50.3:8001") == 3)

        // A service added through the API gets a listener at once; deleting it closes the listener.
        let added = try await offPool { try admin("POST", "http://127.0.50.1:9900/api/services",
                              json: #"{"address": "127.0.50.1", "port": 8081, "scheduler": "rr", "servers": [{"address": "127.0.50.4", "port": 8001}]}"#) }
        #expect(added.status == 201)
        #expect(await eventually { TestPorts.accepts(8081, host: "127.0.50.1") })
        #expect(tally(try await offPool { try httpGets("http://127.0.50.1:8081/", count: 3) }) == ["C": 3])
        #expect(try await offPool { try admin("DELETE", "http://127.0.50.1:9900/api/services/tcp-127.0.50.1-8081") }.status == 204)
        #expect(await eventually { !TestPorts.accepts(8081, host: "127.0.50.1") })
    }

    @Test func reloadAppliesOnlyTheDifferenceAndKeepsEstablishedConnections() async throws {
        let a = try Backend("eof", "127.0.51.2", 8001, name: "A")
        let h = try Backend("http", "127.0.51.3", 8001, name: "H")
        defer { a.kill(); h.kill() }
        let first = """
            services:
              - listen: 127.0.51.1:8080
                scheduler: rr
                servers: [{address: 127.0.51.2:8001}]
            """
        let director = try await DirectorHarness(first)
        defer { Task { await director.stop() } }
        // A connection opened before the reload, finished after it.
        let client = try peers.launch("held_connection.py", ["127.0.51.1", "8080", "1000", "1000"], input: .pipe)
        #expect(try await client.readLine() == "SENT")
        #expect(try await director.reload(first + """

              - listen: 127.0.51.1:8081
                scheduler: rr
                servers: [{address: 127.0.51.3:8001}]
            """))
        #expect(tally(try await offPool { try httpGets("http://127.0.51.1:8081/", count: 2) }) == ["H": 2])
        client.writeLine("go")
        #expect(try await client.readLine() == "A got 2000 bytes")
        // A broken file is refused and the running configuration stays.
        #expect(try await director.reload("services:\n  - listen: nowhere\n") == false)
        #expect(TestPorts.accepts(8081, host: "127.0.51.1"))
        // Removing the service closes its listener.
        #expect(try await director.reload(first))
        #expect(!TestPorts.accepts(8081, host: "127.0.51.1"))
        #expect(TestPorts.accepts(8080, host: "127.0.51.1"))
    }

    @Test func proxyProtocolHeadersAreUnderstoodByNginx() async throws {
        let nginx = try await NginxFixture(servers: """
            server {
                listen 127.0.52.2:8001 proxy_protocol;
                location / { return 200 "$proxy_protocol_addr:$proxy_protocol_port $remote_addr\\n"; }
            }
            """, listening: [("127.0.52.2", 8001)])
        defer { nginx.stop() }
        for version in ["v1", "v2"] {
            let director = try await DirectorHarness("""
                services:
                  - listen: 127.0.52.1:8080
                    scheduler: rr
                    proxy_protocol: \(version)
                    servers: [{address: 127.0.52.2:8001}]
                """)
            let client = try peers.launch("proxy_protocol_client.py", ["127.0.52.1", "8080", "127.0.52.77"])
            try await client.wait()
            await director.stop()
            let lines = client.outputLines
            #expect(lines.count == 2, "\(version): \(lines)")
            // nginx saw the client's own address and port in the header, not the director's.
            #expect(lines.count == 2 && lines[1].hasPrefix(lines[0] + " "), "\(version): \(lines)")
        }
    }

    @Test func contentRulesAndCookiePersistenceRouteThroughTheDirector() async throws {
        let a = try Backend("http", "127.0.53.2", 8001, name: "A")
        let b = try Backend("http", "127.0.53.3", 8001, name: "B")
        let s = try Backend("http", "127.0.53.4", 8001, name: "S")
        defer { a.kill(); b.kill(); s.kill() }
        let director = try await DirectorHarness("""
            services:
              - listen: 127.0.53.1:8080
                protocol: http
                scheduler: rr
                servers: [{address: 127.0.53.2:8001}, {address: 127.0.53.3:8001}]
                pools:
                  static: {scheduler: rr, servers: [{address: 127.0.53.4:8001}]}
                http:
                  cookie: SHOALSRV
                  rules:
                    - {path_prefix: /static/, pool: static}
            """)
        defer { Task { await director.stop() } }
        #expect(tally(try await offPool { try httpGets("http://127.0.53.1:8080/static/x.css", count: 4) }) == ["S": 4])
        #expect(tally(try await offPool { try httpGets("http://127.0.53.1:8080/page", count: 4) }) == ["A": 2, "B": 2])
        // With the cookie jar, every request of the client goes to the server that answered first.
        let curl = try requiredTool("curl", package: "curl")
        let jar = NSTemporaryDirectory() + "shoal-jar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: jar) }
        var seen: [String] = []
        for _ in 0..<6 {
            let child = try TestProcess(curl, ["-sS", "--noproxy", "*", "-b", jar, "-c", jar, "http://127.0.53.1:8080/page"])
            try await child.wait()
            seen.append(child.outputLines.first?.split(separator: " ").first.map(String.init) ?? "FAIL")
        }
        #expect(Set(seen).count == 1 && !seen.contains("FAIL"), "\(seen)")
        #expect((try String(contentsOfFile: jar, encoding: .utf8)).contains("SHOALSRV"))
    }
}
