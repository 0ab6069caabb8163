@testable import ShoalHTTP
import Testing

/// The request-line follower in front of NIO's parser: its two flags for every way the bytes can be cut into reads.
@Suite struct RequestLineScannerTests {
    /// The flags after feeding `text` cut at `cuts` (offsets into its bytes).
    static func scan(_ text: String, limit: Int, cuts: [Int] = []) -> (overlong: Bool, nonToken: Bool) {
        let bytes = Array(text.utf8)
        var scanner = RequestLineScanner(limit: limit)
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            bytes[start..<end].withUnsafeBytes { scanner.scan($0) }
            start = end
        }
        return (scanner.sawOverlongRequestLine, scanner.sawNonTokenMethod)
    }

    /// The same flags whether the bytes come at once, one by one, or cut in two anywhere.
    static func expectEveryChunking(_ text: String, limit: Int, overlong: Bool, nonToken: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let count = text.utf8.count
        var chunkings: [[Int]] = [[], Array(1..<max(count, 1))]
        chunkings += (1..<max(count, 1)).map { [$0] }
        for cuts in chunkings {
            let flags = scan(text, limit: limit, cuts: cuts)
            #expect(flags.overlong == overlong, "overlong, cuts \(cuts.prefix(3))", sourceLocation: sourceLocation)
            #expect(flags.nonToken == nonToken, "non-token method, cuts \(cuts.prefix(3))", sourceLocation: sourceLocation)
        }
    }

    @Test func ordinaryPipelinedRequestsSetNothing() {
        Self.expectEveryChunking("GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n", limit: 32, overlong: false, nonToken: false)
        Self.expectEveryChunking("GET /a HTTP/1.1\nHost: x\n\nGET /b HTTP/1.0\n\n", limit: 32, overlong: false, nonToken: false)
    }

    @Test func aRequestLineOverTheLimitIsNoticedButALongHeaderIsNot() {
        let target = "/" + String(repeating: "a", count: 40)
        Self.expectEveryChunking("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n", limit: 32, overlong: true, nonToken: false)
        // Still incomplete (no line end yet): the parser fails before the line ends.
        Self.expectEveryChunking("GET \(target)", limit: 32, overlong: true, nonToken: false)
        Self.expectEveryChunking("GET / HTTP/1.1\r\nX-Big: \(target)\r\n\r\n", limit: 32, overlong: false, nonToken: false)
        // The second request of a pipeline.
        Self.expectEveryChunking("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET \(target) HTTP/1.1\r\n\r\n", limit: 32, overlong: true, nonToken: false)
        // Exactly at the limit is not over it.
        let exact = "GET /" + String(repeating: "b", count: 32 - 5)
        #expect(exact.utf8.count == 32)
        Self.expectEveryChunking(exact + "\r\n\r\n", limit: 32, overlong: false, nonToken: false)
        Self.expectEveryChunking(exact + "c\r\n\r\n", limit: 32, overlong: true, nonToken: false)
        // A method longer than the limit counts too.
        Self.expectEveryChunking(String(repeating: "M", count: 40), limit: 32, overlong: true, nonToken: false)
    }

    @Test func methodTokensAndNonTokens() {
        for method in ["BREW", "get", "M-SEARCH", "X_Y!#$%&'*+.^`|~9"] {
            Self.expectEveryChunking("\(method) / HTTP/1.1\r\nHost: x\r\n\r\n", limit: 64, overlong: false, nonToken: false)
        }
        for line in ["\u{1}\u{2} / HTTP/1.1", " GET / HTTP/1.1", "GE(T / HTTP/1.1", "G\u{7f}T / HTTP/1.1", "GET/ HTTP/1.1"] {
            Self.expectEveryChunking(line + "\r\nHost: x\r\n\r\n", limit: 64, overlong: false, nonToken: true)
        }
        // Header values and names after the request line are not methods.
        Self.expectEveryChunking("GET / HTTP/1.1\r\n(odd): \u{1}\r\n\r\n", limit: 64, overlong: false, nonToken: false)
        // Empty lines before a request line (RFC 9112 §2.2) are skipped over.
        Self.expectEveryChunking("\r\n\r\nGET / HTTP/1.1\r\n\r\n", limit: 64, overlong: false, nonToken: false)
        // A bad method in a later request of a pipeline.
        Self.expectEveryChunking("GET / HTTP/1.1\r\n\r\n{} / HTTP/1.1\r\n\r\n", limit: 64, overlong: false, nonToken: true)
    }
}
