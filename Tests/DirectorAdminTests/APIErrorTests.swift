import Director
import DirectorAdmin
import Foundation
import ShoalCore
import Testing

/// Every error class, each followed by a read-back proving nothing changed.
@Suite struct APIErrorTests {
    /// Runs a request that must fail with `status`, then checks the table is as before; returns the error JSON.
    @discardableResult
    static func refused(_ h: ServerHarness, _ method: String, _ path: String, json: String? = nil, extra: [String] = [],
                        status: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let before = await h.director.rules()
        let r = try await Curl.request(method, h.url(path), json: json, extra: extra)
        #expect(r.status == status, "\(method) \(path) \(json ?? ""): \(r.body)", sourceLocation: sourceLocation)
        #expect(r.headers["content-type"] == "application/json; charset=utf-8", sourceLocation: sourceLocation)
        #expect(await h.director.rules() == before, "\(method) \(path) changed the table", sourceLocation: sourceLocation)
        return try r.json()
    }

    @Test func badRequestsNameTheFieldAndChangeNothing() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let calls = await h.director.applyCalls
        let services = "/api/services"
        let server = "/api/services/tcp-127.0.0.1-8080/servers/127.0.0.2-80"
        #expect(try await Self.refused(h, "POST", services, json: "{not json", status: 400)["error"] as? String == "malformed JSON body")
        #expect(try await Self.refused(h, "POST", services, json: "[1]", status: 400)["error"] as? String == "request body must be a JSON object")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5", "port": 80, "wieght": 1}"#, status: 400)["field"] as? String == "wieght")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5"}"#, status: 400)["field"] as? String == "port")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.500", "port": 80}"#, status: 400)["field"] as? String == "address")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5", "port": 70000}"#, status: 400)["field"] as? String == "port")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5", "port": 80, "scheduler": "fastest"}"#, status: 400)["field"] as? String == "scheduler")
        #expect(try await Self.refused(h, "POST", services, json: #"{"protocol": "icmp", "address": "127.0.0.5", "port": 80}"#, status: 400)["field"] as? String == "protocol")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5", "port": 0}"#, status: 400)["field"] as? String == "port")
        #expect(try await Self.refused(h, "POST", services, json: #"{"fwmark": 7, "port": 80}"#, status: 400)["field"] as? String == "port")
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5", "port": 80, "persistence": {"netmask": "255.0.255.0"}}"#, status: 400)["field"] as? String == "persistence.netmask")
        // A bad server inside an otherwise good add: the whole request is refused, the service is not created.
        #expect(try await Self.refused(h, "POST", services, json: #"{"address": "127.0.0.5", "port": 80, "servers": [{"address": "127.0.0.6"}, {"address": "::1"}]}"#, status: 400)["field"] as? String == "servers[1].address")
        #expect(try await Self.refused(h, "PATCH", server, json: #"{"weight": 65536}"#, status: 400)["field"] as? String == "weight")
        #expect(try await Self.refused(h, "PATCH", server, json: #"{"weight": "3"}"#, status: 400)["field"] as? String == "weight")
        #expect(try await Self.refused(h, "PATCH", server, json: #"{"weight": 1.5}"#, status: 400)["field"] as? String == "weight")
        #expect(try await Self.refused(h, "PATCH", server, json: #"{"lower_threshold": 51}"#, status: 400)["field"] as? String == "lower_threshold")
        #expect(try await Self.refused(h, "PATCH", server, json: #"{"address": "127.0.0.9"}"#, status: 400)["field"] as? String == "address")
        #expect(try await Self.refused(h, "PATCH", "/api/services/fwm-5", json: #"{"persistence_engine": "ftp"}"#, status: 400)["field"] as? String == "persistence_engine")
        // ipvsadm's own messages come through.
        let bad = try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": ["-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.9", "-w", "2147483648"]}"#, status: 400)
        #expect(bad["error"] as? String == "illegal weight specified")
        #expect(bad["field"] as? String == "-w")
        #expect(try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": ["-R"]}"#, status: 400)["field"] as? String == "-R")
        #expect(try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": "-L"}"#, status: 400)["field"] as? String == "args")
        #expect(try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": ["--start-daemon", "master"]}"#, status: 400)["error"] != nil)
        #expect(await h.director.applyCalls == calls, "a 400 reached apply")
    }

    @Test func unknownThingsAre404AndWrongMethods405() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        try await Self.refused(h, "GET", "/nope", status: 404)
        try await Self.refused(h, "GET", "/api/services/tcp-127.0.0.1-8080/whatever", status: 404)
        try await Self.refused(h, "DELETE", "/api/services/tcp-127.0.0.1-9999", status: 404)
        try await Self.refused(h, "PATCH", "/api/services/tcp-127.0.0.1-9999", json: #"{"scheduler": "rr"}"#, status: 404)
        try await Self.refused(h, "POST", "/api/services/tcp-127.0.0.1-9999/servers", json: #"{"address": "127.0.0.9"}"#, status: 404)
        try await Self.refused(h, "PATCH", "/api/services/tcp-127.0.0.1-8080/servers/127.0.0.9-80", json: #"{"weight": 1}"#, status: 404)
        try await Self.refused(h, "DELETE", "/api/services/tcp-127.0.0.1-8080/servers/127.0.0.9-80", status: 404)
        try await Self.refused(h, "POST", "/api/services/tcp-127.0.0.1-8080/servers/127.0.0.9-80/drain", status: 404)
        try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": ["-L", "-n", "-t", "127.0.0.1:9999"]}"#, status: 404)

        let before = await h.director.rules()
        for (method, path, allow) in [("PUT", "/api/services", "GET, POST"), ("POST", "/api/stats", "GET"), ("GET", "/api/ipvsadm", "POST"),
                                      ("DELETE", "/metrics", "GET"), ("GET", "/api/services/fwm-5/servers/127.0.0.4-0/drain", "POST"),
                                      ("POST", "/api/services/fwm-5", "GET, PATCH, DELETE")] {
            let r = try await Curl.request(method, h.url(path))
            #expect(r.status == 405, "\(method) \(path)")
            #expect(r.headers["allow"] == allow, "\(method) \(path)")
        }
        #expect(await h.director.rules() == before)
    }

    @Test func conflictsAre409AndAllOrNothing() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let exists = try await Self.refused(h, "POST", "/api/services", json: #"{"protocol": "tcp", "address": "127.0.0.1", "port": 8080}"#, status: 409)
        #expect(exists["error"] as? String == "Service already exists")
        // Two servers with one endpoint: the service and the first server must not stay behind.
        let dup = try await Self.refused(h, "POST", "/api/services", json: #"{"address": "127.0.0.5", "port": 80, "servers": [{"address": "127.0.0.6"}, {"address": "127.0.0.6"}]}"#, status: 409)
        #expect(dup["error"] as? String == "Destination already exists")
        #expect(try await Curl.request("GET", h.url("/api/services/tcp-127.0.0.5-80")).status == 404)
        try await Self.refused(h, "POST", "/api/services/tcp-127.0.0.1-8080/servers", json: #"{"address": "127.0.0.2", "port": 80}"#, status: 409)
        let missing = try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": ["-d", "-t", "127.0.0.1:8080", "-r", "127.0.0.99:80"]}"#, status: 409)
        #expect(missing["error"] as? String == "No such destination")
        try await Self.refused(h, "POST", "/api/ipvsadm", json: #"{"args": ["-A", "-f", "5"]}"#, status: 409)
    }

    @Test func oversizedBodiesAre413() async throws {
        let h = try await ServerHarness.start(maxBody: 1024)
        defer { Task { await h.stop() } }
        let big = #"{"address": "127.0.0.5", "port": 80, "scheduler": "rr", "persistence_engine": null, "servers": [], "protocol": "tcp\#(String(repeating: " ", count: 4000))"}"#
        // curl sends Expect: 100-continue for bodies over 1 KiB: refused before the body is sent.
        let r = try await Self.refused(h, "POST", "/api/services", json: big, extra: ["-H", "Expect: 100-continue"], status: 413)
        #expect((r["error"] as? String)?.contains("1024") == true)
        // Without Expect the body is read (and dropped) before the answer.
        try await Self.refused(h, "POST", "/api/services", json: big, extra: ["-H", "Expect:"], status: 413)
        // Chunked, no length declared.
        try await Self.refused(h, "POST", "/api/services", json: big, extra: ["-H", "Transfer-Encoding: chunked", "-H", "Expect:"], status: 413)
        // Over 1 KiB but under the default 64 KiB: curl's Expect: 100-continue gets its 100 and the body goes through.
        let roomy = try await ServerHarness.start(host: "127.0.77.9")
        let padded = #"{"address": "127.0.0.5", "port": 81\#(String(repeating: " ", count: 4000))}"#
        let accepted = try await Curl.request("POST", roomy.url("/api/services"), json: padded, extra: ["-H", "Expect: 100-continue"])
        await roomy.stop()
        #expect(accepted.status == 201, "\(accepted.body)")
        // Just under the limit is fine.
        let small = try await Curl.request("POST", h.url("/api/services"), json: #"{"address": "127.0.0.5", "port": 80}"#)
        #expect(small.status == 201)
    }
}
