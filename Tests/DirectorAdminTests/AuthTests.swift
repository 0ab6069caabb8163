import DirectorAdmin
import Foundation
import Testing

/// With a token configured, every route needs it: missing or wrong → 401 JSON, right → through.
@Suite struct AuthTests {
    static let token = "t0k-\u{e9}n with spaces"
    static let asciiToken = "s3cret-admin-token"

    static let routes: [(String, String, String?)] = [
        ("GET", "/", nil), ("GET", "/status", nil), ("GET", "/metrics", nil), ("GET", "/api/services", nil),
        ("POST", "/api/services", #"{"address": "127.0.0.5", "port": 80}"#), ("GET", "/api/services/fwm-5", nil),
        ("PATCH", "/api/services/fwm-5", #"{"scheduler": "rr"}"#), ("DELETE", "/api/services/fwm-5", nil),
        ("GET", "/api/services/fwm-5/servers", nil), ("POST", "/api/services/fwm-5/servers", #"{"address": "127.0.0.6"}"#),
        ("GET", "/api/services/fwm-5/servers/127.0.0.4-0", nil), ("PATCH", "/api/services/fwm-5/servers/127.0.0.4-0", #"{"weight": 2}"#),
        ("DELETE", "/api/services/fwm-5/servers/127.0.0.4-0", nil), ("POST", "/api/services/fwm-5/servers/127.0.0.4-0/drain", nil),
        ("GET", "/api/stats", nil), ("GET", "/api/connections", nil), ("POST", "/api/ipvsadm", #"{"args": ["-C"]}"#),
        ("GET", "/no/such/route", nil),
    ]

    @Test func everyRouteRefusesMissingAndWrongTokens() async throws {
        let h = try await ServerHarness.start(token: Self.asciiToken, host: "127.0.77.2")
        defer { Task { await h.stop() } }
        let before = await h.director.rules()
        for (method, path, json) in Self.routes {
            for token in [nil, "wrong", Self.asciiToken + "x", String(Self.asciiToken.dropLast())] {
                let r = try await Curl.request(method, h.url(path), token: token, json: json)
                #expect(r.status == 401, "\(method) \(path) with \(token ?? "no token")")
                #expect(try r.json()["error"] is String)
                #expect(r.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            }
            // A token in the query string is only for the status page.
            if !["/", "/status"].contains(path) {
                let r = try await Curl.request(method, h.url(path + "?token=\(Self.asciiToken)"), json: json)
                #expect(r.status == 401, "\(method) \(path)?token=")
            }
        }
        // Basic auth with the token as password is not a bearer token.
        #expect(try await Curl.request("GET", h.url("/api/stats"), extra: ["-u", "admin:\(Self.asciiToken)"]).status == 401)
        #expect(await h.director.rules() == before)
        #expect(await h.director.applyCalls == 0)
    }

    @Test func theRightTokenLetsEveryRouteThrough() async throws {
        let h = try await ServerHarness.start(token: Self.asciiToken, host: "127.0.77.2")
        defer { Task { await h.stop() } }
        var statuses: [Int] = []
        for (method, path, json) in Self.routes {
            let r = try await Curl.request(method, h.url(path), token: Self.asciiToken, json: json)
            statuses.append(r.status)
        }
        #expect(statuses == [200, 200, 200, 200, 201, 200, 200, 204, 404, 404, 404, 404, 404, 404, 200, 200, 200, 404])
        // The status page takes ?token= (percent-encoded like any query value).
        let page = try await Curl.request("GET", h.url("/status?token=\(Self.asciiToken)"))
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(try await Curl.request("GET", h.url("/?token=nope")).status == 401)
    }

    @Test func nonASCIITokensWork() async throws {
        let h = try await ServerHarness.start(token: Self.token, host: "127.0.77.2")
        defer { Task { await h.stop() } }
        #expect(try await Curl.request("GET", h.url("/api/stats"), token: Self.token).status == 200)
        let encoded = Self.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await Curl.request("GET", h.url("/status?token=\(encoded)")).status == 200)
        #expect(try await Curl.request("GET", h.url("/api/stats"), token: "t0k-e with spaces").status == 401)
    }
}
