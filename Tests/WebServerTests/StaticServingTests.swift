import Crypto
import Foundation
import ShoalTestFixtures
import Testing
import WebServer

/// GET and HEAD of files through a running web node, asked by Python's http.client.
@Suite struct StaticServingTests {
    @Test(arguments: WebEngine.allCases) func smallFileCarriesValidatorsAndType(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answer = try await f.get("/hello.txt")
        #expect(answer.status == 200)
        #expect(answer.body == WebNodeFixture.smallText)
        #expect(answer.headers["content-type"] == "text/plain")
        #expect(answer.headers["content-length"] == "\(WebNodeFixture.smallText.utf8.count)")
        #expect(answer.headers["accept-ranges"] == "bytes")
        #expect(answer.headers["date"].flatMap(HTTPDate.parse) != nil)
        let info = try FileManager.default.attributesOfItem(atPath: f.root + "/hello.txt")
        let modified = Int64((info[.modificationDate] as! Date).timeIntervalSince1970.rounded(.down))
        #expect(answer.headers["last-modified"] == HTTPDate.format(modified))
        let etag = try #require(answer.headers["etag"])
        #expect(etag.hasPrefix("\"\(String(WebNodeFixture.smallText.utf8.count, radix: 16))-\(String(modified, radix: 16))-"))
        // The same file gives the same tag on the next request.
        #expect(try await f.get("/hello.txt").headers["etag"] == etag)
    }

    @Test(arguments: WebEngine.allCases) func bigFileGoesOutWhole(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answer = try await f.get("/big.bin")
        #expect(answer.status == 200)
        #expect(answer.length == WebNodeFixture.bigSize)
        #expect(answer.sha256 == sha256(WebNodeFixture.bigContents()))
        #expect(answer.headers["content-type"] == "application/octet-stream")
    }

    @Test(arguments: WebEngine.allCases) func headSendsTheHeadersWithoutTheBody(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answers = try await f.ask([("HEAD", "/big.bin", [:]), ("HEAD", "/hello.txt", [:]), ("GET", "/hello.txt", [:])])
        #expect(answers[0].status == 200)
        #expect(answers[0].length == 0)
        #expect(answers[0].headers["content-length"] == "\(WebNodeFixture.bigSize)")
        #expect(answers[1].headers["content-length"] == "\(WebNodeFixture.smallText.utf8.count)")
        #expect(answers[2].body == WebNodeFixture.smallText)
        #expect(Set(answers.map(\.port)).count == 1)
    }

    @Test(arguments: WebEngine.allCases) func keepAliveReusesOneConnection(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answers = try await f.ask(Array(repeating: ("GET", "/hello.txt", [:]), count: 5) + [("GET", "/big.bin", [:]), ("GET", "/index.html", [:])])
        #expect(answers.allSatisfy { $0.status == 200 })
        #expect(Set(answers.map(\.port)).count == 1)
        #expect(answers[5].sha256 == sha256(WebNodeFixture.bigContents()))
    }

    @Test(arguments: WebEngine.allCases) func pipelinedRequestsAreAnsweredInOrder(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let raw = try await f.raw("GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nGET /missing HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n"
            + "HEAD /big.bin HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nGET /dir HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n")
        #expect(statusCodes(raw) == [200, 404, 200, 301], "\(raw)")
        #expect(raw.contains(WebNodeFixture.smallText))
        #expect(raw.hasSuffix("\r\n") || raw.contains("moved"))
    }

    /// The epoll engine only: the NIO path closes at the client's FIN without answering what came before it
    /// (NIO's `allowRemoteHalfClosure` is off on ShoalHTTP's channels), a known difference left for a later change.
    @Test func requestsBeforeTheClientsFINAreStillAnswered() async throws {
        let f = try await WebNodeFixture(engine: .epoll)
        defer { Task { await f.stop() } }
        // Two kept-alive requests, then the client's FIN: both answered, then the node closes (raw returns at once).
        let raw = try await f.raw("GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nGET /big.bin HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n",
                                  halfClose: true)
        #expect(statusCodes(raw) == [200, 200])
        #expect(raw.utf8.count > WebNodeFixture.bigSize)
    }

    @Test(arguments: WebEngine.allCases) func http10GetsAnAnswerAndAClose(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let raw = try await f.raw("GET /hello.txt HTTP/1.0\\r\\n\\r\\n")
        #expect(raw.hasPrefix("HTTP/1.0 200"))
        #expect(raw.lowercased().contains("connection: close"))
        #expect(raw.hasSuffix(WebNodeFixture.smallText))
        let kept = try await f.raw("GET /hello.txt HTTP/1.0\\r\\nConnection: keep-alive\\r\\n\\r\\nGET /index.html HTTP/1.0\\r\\n\\r\\n")
        #expect(statusCodes(kept) == [200, 200])
    }

    @Test(arguments: WebEngine.allCases) func directoriesRedirectAndServeTheirIndex(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answers = try await f.ask([("GET", "/dir?x=1", [:]), ("GET", "/dir/", [:]), ("GET", "/noindex/", [:]), ("GET", "/", [:]),
                                       ("GET", "/hello.txt/", [:]), ("GET", "/caf%C3%A9.txt", [:])])
        #expect(answers[0].status == 301)
        #expect(answers[0].headers["location"] == "/dir/?x=1")
        #expect(answers[1].status == 200)
        #expect(answers[1].body?.contains("dir index") == true)
        #expect(answers[1].headers["content-type"] == "text/html")
        #expect(answers[2].status == 403)
        #expect(answers[3].body?.contains("home") == true)
        #expect(answers[4].status == 404)
        #expect(answers[5].status == 200)
        #expect(answers[5].body == "accented\n")
    }

    @Test(arguments: WebEngine.allCases) func autoindexListsEntriesWhenOn(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, extra: "autoindex: true\n")
        defer { Task { await f.stop() } }
        let answer = try await f.get("/noindex/")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "text/html; charset=utf-8")
        #expect(answer.body?.contains("<a href=\"file.txt\">file.txt</a>") == true)
        let root = try await f.get("/dir/")
        #expect(root.body?.contains("dir index") == true)
    }

    @Test(arguments: WebEngine.allCases) func methodsOtherThanGetAndHeadAreRefused(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answers = try await f.ask([("POST", "/hello.txt", ["Content-Length": "0"]), ("DELETE", "/hello.txt", [:]),
                                       ("GET", "/hello.txt", ["Expect": "something-else"]), ("OPTIONS", "/hello.txt", [:]),
                                       ("PROPFIND", "/hello.txt", [:]), ("GET", "/hello.txt", [:])])
        #expect(answers[0].status == 405)
        #expect(answers[0].headers["allow"] == "GET, HEAD")
        #expect(answers[1].status == 405)
        #expect(answers[2].status == 417)
        #expect(answers[3].status == 405)
        #expect(answers[3].headers["allow"] == "GET, HEAD")
        // A method NIO's parser knows but no static server implements (WebDAV): 501, and the connection goes on.
        #expect(answers[4].status == 501)
        #expect(answers[4].headers["allow"] == nil)
        #expect(answers[5].status == 200)
        // A token the parser does not know at all: 501 too (from the parse-error answer); a non-token: 400.
        let unknown = try await f.raw("BREW /pot HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
        #expect(statusCodes(unknown) == [501])
        let garbage = try await f.raw("\\x01\\x02 /pot HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
        #expect(statusCodes(garbage) == [400])
    }

    @Test(arguments: WebEngine.allCases) func precompressedSiblingsFollowAcceptEncoding(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answers = try await f.ask([("GET", "/style.css", ["Accept-Encoding": "gzip, br"]), ("GET", "/style.css", ["Accept-Encoding": "gzip"]),
                                       ("GET", "/style.css", [:]), ("GET", "/style.css", ["Accept-Encoding": "br;q=0, gzip;q=0"]),
                                       ("GET", "/hello.txt", ["Accept-Encoding": "gzip"])])
        #expect(answers[0].body == "BROTLI-BYTES\n")
        #expect(answers[0].headers["content-encoding"] == "br")
        #expect(answers[0].headers["content-type"] == "text/css")
        #expect(answers[0].headers["vary"] == "Accept-Encoding")
        #expect(answers[1].body == "GZIP-BYTES\n")
        #expect(answers[1].headers["content-encoding"] == "gzip")
        #expect(answers[2].body == "body { color: black; }\n")
        #expect(answers[2].headers["content-encoding"] == nil)
        #expect(answers[2].headers["vary"] == "Accept-Encoding")
        #expect(answers[3].headers["content-encoding"] == nil)
        #expect(answers[4].headers["vary"] == nil)
        #expect(answers[0].headers["etag"] != answers[2].headers["etag"])
    }
}

/// The hex SHA-256 of `bytes` (what web_client.py reports).
func sha256(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
