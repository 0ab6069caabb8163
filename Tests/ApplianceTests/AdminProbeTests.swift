import Appliance
import Foundation
import Testing

/// `AdminProbe.parse`, the reader of the director's admin answers: lengths, chunks, to the end, and malformed
/// answers refused or cut short, never trapped on (its fuzz target is `admin-answer`).
@Suite struct AdminProbeTests {
    func parse(_ text: String) throws -> (status: Int, body: String) {
        let (status, body) = try AdminProbe.parse(Data(text.utf8), what: "test")
        return (status, String(decoding: body, as: UTF8.self))
    }

    @Test func contentLengthChunkedAndToTheEnd() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}trailing") == (200, "{}"))
        #expect(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n") == (200, "{\"a\":1}"))
        #expect(try parse("HTTP/1.0 404 Not Found\r\n\r\nno such service") == (404, "no such service"))
    }

    @Test func malformedAnswersAreErrorsOrShortBodies() throws {
        #expect(throws: AdminProbe.Failure.self) { try parse("HTTP/1.1 200 OK\r\nno end of head") }
        #expect(throws: AdminProbe.Failure.self) { try parse("SMTP 220 hello\r\n\r\n") }
        #expect(throws: AdminProbe.Failure.self) { try parse("HTTP/1.1 OK\r\n\r\n") }
        // A negative length is ignored (the body runs to the end), not handed to prefix(_:).
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}") == (200, "{}"))
        // A chunk longer than what came, or a size that is no number, ends the body.
        #expect(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nffffffffffffffff\r\nxx") == (200, "ok"))
        #expect(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n") == (200, ""))
    }
}
