import NIOHTTP1
@testable import ShoalHTTP
import Testing

/// The epoll engine's request-head parser on raw bytes: heads, framing, every refusal, and every split of the
/// bytes (as a socket may deliver them); plus the chunked-body skipper.
@Suite struct HTTPRequestHeadParserTests {
    let parser = HTTPRequestHeadParser(maxHeaderBytes: 256, maxHeaderCount: 8)

    func parse(_ text: String, _ parser: HTTPRequestHeadParser? = nil) -> HTTPRequestHeadParser.Outcome {
        Array(text.utf8).withUnsafeBytes { (parser ?? self.parser).parse($0) }
    }

    func status(_ text: String) -> Int? {
        if case let .refused(status) = parse(text) { return Int(status.code) }
        return nil
    }

    @Test func parsesAHeadWithItsLengthAndFields() throws {
        let text = "GET /a%20b?q=1 HTTP/1.1\r\nHost: example\r\nX-Two:  spaced value \t\r\n\r\nNEXT"
        guard case let .head(head, length, body) = parse(text) else { Issue.record("no head"); return }
        #expect(head.method == .GET)
        #expect(head.uri == "/a%20b?q=1")
        #expect(head.version == .http1_1)
        #expect(head.headers.first(name: "host") == "example")
        #expect(head.headers.first(name: "X-Two") == "spaced value")
        #expect(length == text.utf8.count - 4)
        #expect(body == .none)
        #expect(head.isKeepAlive)
    }

    @Test func http10AndConnectionCloseDecideKeepAlive() {
        guard case let .head(old, _, _) = parse("GET / HTTP/1.0\r\n\r\n"),
              case let .head(oldKept, _, _) = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
              case let .head(closed, _, _) = parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n") else {
            Issue.record("no head"); return
        }
        #expect(old.version == .http1_0 && !old.isKeepAlive)
        #expect(oldKept.isKeepAlive)
        #expect(!closed.isKeepAlive)
    }

    @Test func bareLineFeedsAndLeadingBlankLinesAreAccepted() {
        guard case let .head(head, length, _) = parse("\r\n\nGET /x HTTP/1.1\nHost: a\n\n") else { Issue.record("no head"); return }
        #expect(head.uri == "/x")
        #expect(length == 28)  // the blank lines before it count
    }

    @Test func everyPrefixOfAHeadIsIncomplete() {
        let text = "GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"
        let bytes = Array(text.utf8)
        for cut in 0..<bytes.count {
            let outcome = Array(bytes[..<cut]).withUnsafeBytes { parser.parse($0) }
            guard case .incomplete = outcome else { Issue.record("prefix \(cut) gave \(outcome)"); return }
        }
        guard case let .head(_, length, _) = parse(text) else { Issue.record("no head"); return }
        #expect(length == bytes.count)
    }

    @Test func bodiesAreFramedByLengthOrChunked() {
        guard case let .head(_, _, length) = parse("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
              case let .head(_, _, same) = parse("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n"),
              case let .head(_, _, zero) = parse("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
              case let .head(_, _, chunked) = parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n") else {
            Issue.record("no head"); return
        }
        #expect(length == .length(12))
        #expect(same == .length(5))
        #expect(zero == HTTPRequestHeadParser.BodyFraming.none)
        #expect(chunked == .chunked)
    }

    @Test(arguments: [
        // TE + CL (RFC 9112 §6.3), chunked not last, TE on HTTP/1.0, bad and conflicting lengths.
        "GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        // obs-fold, a space in a name, space before the colon, no colon, control bytes in a value.
        "GET / HTTP/1.1\r\nX-Folded: one\r\n two\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n",
        // The request line: no method token, missing parts, spaces, control bytes in the target.
        "\u{01}\u{02} / HTTP/1.1\r\n\r\n",
        " / HTTP/1.1\r\n\r\n",
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET /a\u{7f} HTTP/1.1\r\n\r\n",
        "GET / HTTX/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
    ])
    func malformedHeadsAre400(_ text: String) {
        #expect(status(text) == 400, "\(text.debugDescription)")
    }

    @Test func otherVersionsAre505() {
        #expect(status("GET / HTTP/2.0\r\n\r\n") == 505)
        #expect(status("GET / HTTP/1.2\r\n\r\n") == 505)
        #expect(status("GET / HTTP/9.9\r\n\r\n") == 505)
    }

    @Test func methodTokensNIOsParserDoesNotKnowAre501() {
        #expect(status("BREW /pot HTTP/1.1\r\n\r\n") == 501)
        // Known ones, general-purpose or not, go to the responder (which answers 405 or 501 itself).
        guard case let .head(head, _, _) = parse("PROPFIND /x HTTP/1.1\r\n\r\n") else { Issue.record("no head"); return }
        #expect(head.method == .PROPFIND)
    }

    @Test func limitsGive414And431() {
        let long = "GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\n\r\n"
        #expect(status(long) == 414)
        // Still arriving: refused once it is over the cap without its end.
        #expect(status(String(long.prefix(280))) == 414)
        let bigHeader = "GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 300) + "\r\n\r\n"
        #expect(status(bigHeader) == 431)
        #expect(status(String(bigHeader.prefix(280))) == 431)
        let many = "GET / HTTP/1.1\r\n" + (0..<9).map { "H\($0): v\r\n" }.joined() + "\r\n"
        #expect(status(many) == 431)
        let eight = "GET / HTTP/1.1\r\n" + (0..<8).map { "H\($0): v\r\n" }.joined() + "\r\n"
        #expect(status(eight) == nil)
        #expect(status(String(repeating: "\r\n", count: 200)) == 400)
    }

    @Test func pipelinedHeadsComeOneAtATime() {
        let first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let text = first + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
        guard case let .head(one, length, _) = parse(text) else { Issue.record("no head"); return }
        #expect(one.uri == "/1")
        #expect(length == first.utf8.count)
        guard case let .head(two, _, _) = parse(String(decoding: Array(text.utf8)[length...], as: UTF8.self)) else { Issue.record("no second head"); return }
        #expect(two.uri == "/2")
    }

    // MARK: Chunked bodies

    func skip(_ pieces: [String]) -> [ChunkedBodySkipper.Outcome] {
        var skipper = ChunkedBodySkipper()
        return pieces.map { piece in Array(piece.utf8).withUnsafeBytes { skipper.skip($0) } }
    }

    @Test func chunkedBodiesEndWhereTheyEnd() {
        let body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"
        #expect(skip([body + "GET"]) == [.ended(body.utf8.count)])
        // Every split into two reads ends at the same place.
        let bytes = Array(body.utf8)
        for cut in 1..<bytes.count {
            var skipper = ChunkedBodySkipper()
            let a = Array(bytes[..<cut]).withUnsafeBytes { skipper.skip($0) }
            let b = Array(bytes[cut...]).withUnsafeBytes { skipper.skip($0) }
            #expect(a == .consumed && b == .ended(bytes.count - cut), "cut at \(cut)")
            #expect(skipper.dataBytes == 15)
        }
        #expect(skip(["0\n\n"]) == [.ended(3)])
    }

    @Test func brokenChunkedFramingIsInvalid() {
        #expect(skip(["x\r\n"]) == [.invalid])
        #expect(skip(["5\r\nhelloX"]) == [.invalid])
        #expect(skip(["\r\n"]) == [.invalid])
        #expect(skip([String(repeating: "f", count: 16) + "\r\n"]) == [.invalid])
    }
}
