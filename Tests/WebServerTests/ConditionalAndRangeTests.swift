import Foundation
import Testing
import WebServer

/// Conditional requests and ranges against a running node (http.client).
@Suite struct ConditionalAndRangeTests {
    @Test(arguments: WebEngine.allCases) func validatorsAnswer304And412(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let first = try await f.get("/hello.txt")
        let etag = try #require(first.headers["etag"])
        let modified = try #require(first.headers["last-modified"])
        let answers = try await f.ask([
            ("GET", "/hello.txt", ["If-None-Match": etag]),
            ("GET", "/hello.txt", ["If-None-Match": "W/\(etag)"]),
            ("GET", "/hello.txt", ["If-None-Match": "\"nope\", \(etag)"]),
            ("GET", "/hello.txt", ["If-Modified-Since": modified]),
            ("GET", "/hello.txt", ["If-None-Match": "\"nope\"", "If-Modified-Since": modified]),
            ("GET", "/hello.txt", ["If-Match": "\"nope\""]),
            ("GET", "/hello.txt", ["If-Match": etag]),
            ("GET", "/hello.txt", ["If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"]),
            ("HEAD", "/big.bin", ["If-None-Match": "*"]),
        ])
        #expect(answers.map(\.status) == [304, 304, 304, 304, 200, 412, 200, 412, 304])
        #expect(answers[0].length == 0)
        #expect(answers[0].headers["etag"] == etag)
        #expect(answers[0].headers["content-length"] == nil)
        #expect(answers[4].body == WebNodeFixture.smallText)
    }

    @Test(arguments: WebEngine.allCases) func singleSuffixAndOpenRanges(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let text = WebNodeFixture.smallText  // "hello, shoal\n": 13 bytes
        let answers = try await f.ask([
            ("GET", "/hello.txt", ["Range": "bytes=0-4"]),
            ("GET", "/hello.txt", ["Range": "bytes=-6"]),
            ("GET", "/hello.txt", ["Range": "bytes=7-"]),
            ("GET", "/hello.txt", ["Range": "bytes=7-1000"]),
            ("GET", "/hello.txt", ["Range": "bytes=13-"]),
            ("GET", "/hello.txt", ["Range": "bytes=junk"]),
            ("HEAD", "/hello.txt", ["Range": "bytes=0-4"]),
        ])
        #expect(answers.map(\.status) == [206, 206, 206, 206, 416, 200, 200])
        #expect(answers[0].body == "hello")
        #expect(answers[0].headers["content-range"] == "bytes 0-4/13")
        #expect(answers[1].body == String(text.suffix(6)))
        #expect(answers[2].body == "shoal\n")
        #expect(answers[3].headers["content-range"] == "bytes 7-12/13")
        #expect(answers[4].headers["content-range"] == "bytes */13")
        #expect(answers[5].body == text)
    }

    @Test(arguments: WebEngine.allCases) func ifRangeDecidesBetweenPartAndWhole(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let etag = try #require(try await f.get("/hello.txt").headers["etag"])
        let answers = try await f.ask([
            ("GET", "/hello.txt", ["Range": "bytes=0-4", "If-Range": etag]),
            ("GET", "/hello.txt", ["Range": "bytes=0-4", "If-Range": "\"stale\""]),
            ("GET", "/hello.txt", ["Range": "bytes=0-4", "If-Range": "W/\(etag)"]),
        ])
        #expect(answers.map(\.status) == [206, 200, 200])
        #expect(answers[1].body == WebNodeFixture.smallText)
    }

    @Test(arguments: WebEngine.allCases) func multipleRangesComeAsMultipartWithCoalescing(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let answer = try await f.get("/hello.txt", ["Range": "bytes=0-1,3-4,1-2,-2"])
        #expect(answer.status == 206)
        let type = try #require(answer.headers["content-type"])
        #expect(type.hasPrefix("multipart/byteranges; boundary="))
        let boundary = String(type.dropFirst("multipart/byteranges; boundary=".count))
        let body = try #require(answer.body)
        // 0-1, 1-2 and 3-4 merge into 0-4; -2 is 11-12.
        #expect(body.components(separatedBy: "--\(boundary)\r\n").count - 1 == 2)
        #expect(body.contains("Content-Range: bytes 0-4/13\r\n\r\nhello\r\n"))
        #expect(body.contains("Content-Range: bytes 11-12/13\r\n\r\nl\n\r\n"))
        #expect(body.contains("Content-Type: text/plain\r\n"))
        #expect(body.hasSuffix("--\(boundary)--\r\n"))
        #expect(answer.headers["content-length"] == "\(answer.length)")
    }

    @Test(arguments: WebEngine.allCases) func tooManyRangesGetTheWholeFile(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, extra: "limits: { ranges: 2 }\n")
        defer { Task { await f.stop() } }
        let answer = try await f.get("/hello.txt", ["Range": "bytes=0-0,2-2,4-4"])
        #expect(answer.status == 200)
        #expect(answer.body == WebNodeFixture.smallText)
    }

    @Test(arguments: WebEngine.allCases) func rangesOfALargeFileComeFromTheFile(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        let contents = WebNodeFixture.bigContents()
        let answers = try await f.ask([
            ("GET", "/big.bin", ["Range": "bytes=100000-199999"]),
            ("GET", "/big.bin", ["Range": "bytes=-100"]),
            ("GET", "/big.bin", ["Range": "bytes=0-9,1048576-"]),
        ])
        #expect(answers[0].status == 206)
        #expect(answers[0].sha256 == sha256(Array(contents[100_000...199_999])))
        #expect(answers[1].sha256 == sha256(Array(contents.suffix(100))))
        #expect(answers[2].status == 206)
        #expect(answers[2].headers["content-type"]?.hasPrefix("multipart/byteranges") == true)
        #expect(answers[2].headers["content-length"] == "\(answers[2].length)")
    }
}
