import Foundation
import Testing
import WebServer

/// Malformed and hostile requests on raw sockets: answered 4xx (or closed), never a hang or a crash.
@Suite struct RobustnessTests {
    @Test(arguments: WebEngine.allCases) func malformedHeadsAreRefused(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let cases = [
            "GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 3\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
            "GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nX-Folded: one\\r\\n two\\r\\n\\r\\n",
            "GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nBad Header: x\\r\\n\\r\\n",
            "GET /hello.txt HTTP/9.9\\r\\nHost: a\\r\\n\\r\\n",
            "GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: -1\\r\\n\\r\\n",
        ]
        for request in cases {
            let raw = try await f.raw(request)
            let status = statusCodes(raw).first
            #expect(status.map { (400...499).contains($0) || $0 == 505 } ?? raw.isEmpty, "\(request) → \(raw.prefix(40))")
            #expect(!raw.contains(WebNodeFixture.smallText), "\(request) was served")
        }
    }

    @Test(arguments: WebEngine.allCases) func oversizedHeadsAreRefusedAndTheNodeCarriesOn(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, extra: "limits: { header_bytes: 2048 }\n")
        defer { Task { await f.stop() } }
        let longTarget = "/" + String(repeating: "a", count: 4000)
        let raw = try await f.raw("GET \(longTarget) HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
        // A request line over the cap is 414 (the scanner in front of NIO's parser tells it from a long header: 431).
        #expect(statusCodes(raw).first == 414)
        let header = try await f.raw("GET / HTTP/1.1\\r\\nHost: a\\r\\nX-Big: \(String(repeating: "b", count: 4000))\\r\\n\\r\\n")
        #expect(statusCodes(header).first == 431)
        #expect(try await f.get("/hello.txt").status == 200)
    }

    @Test(arguments: WebEngine.allCases) func anUploadWaitingFor100ContinueIsRefusedBeforeItsBody(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let raw = try await f.raw("PUT /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 100000000\\r\\nExpect: 100-continue\\r\\n\\r\\n")
        // 405 at once, no "100 Continue" first, and the connection closes instead of waiting for 100 MB.
        #expect(statusCodes(raw) == [405])
        #expect(raw.contains("Allow: GET, HEAD"))
    }

    @Test(arguments: WebEngine.allCases) func bareLineFeedsStillParse(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let raw = try await f.raw("GET /hello.txt HTTP/1.1\\nHost: a\\nConnection: close\\n\\n")
        // NIO's parser (llhttp) accepts bare LF line ends as RFC 9112 §2.2 allows; what matters is one clean answer.
        #expect(statusCodes(raw).count == 1)
    }

    @Test(arguments: WebEngine.allCases) func aSlowClientIsTimedOutWithoutBlockingOthers(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, extra: "limits: { header_timeout: 0.5 }\n")
        defer { Task { await f.stop() } }
        // Half a head, then silence: the node closes the connection (raw_http.py returns when it does).
        async let slow = f.raw("GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\n")
        #expect(try await f.get("/hello.txt").status == 200)
        #expect(statusCodes(try await slow).isEmpty)
    }
}
