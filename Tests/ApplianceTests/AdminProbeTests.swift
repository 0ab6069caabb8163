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

    /// The fuzz target's seeds (Fuzz/Corpus/admin-answer), mutated by a seeded generator: every answer parses or is
    /// refused, and no body is longer than its answer (the libFuzzer target checks the same under ASan).
    @Test func mutatedSeedsNeverTrap() throws {
        let folder = ApplianceSpecTests.repository + "/Fuzz/Corpus/admin-answer"
        let seeds = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { [UInt8](FileManager.default.contents(atPath: folder + "/" + $0)!) }
        #expect(seeds.count >= 5)
        var state: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
        let tokens: [[UInt8]] = ["\r\n", "\r\n\r\n", "Content-Length: ", "-", "ffffffffffffffffff", "Transfer-Encoding: chunked\r\n", "0\r\n", ";"].map { Array($0.utf8) }
        var parsed = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...next(4) {
                switch next(4) {
                case 0 where !bytes.isEmpty: bytes[next(bytes.count)] = UInt8(next(256))
                case 1 where !bytes.isEmpty: bytes.removeSubrange(next(bytes.count)..<bytes.count)
                case 2: bytes.insert(contentsOf: tokens[next(tokens.count)], at: next(bytes.count + 1))
                default: if !bytes.isEmpty { bytes.remove(at: next(bytes.count)) }
                }
            }
            if let (_, body) = try? AdminProbe.parse(Data(bytes), what: "mutation") {
                parsed += 1
                #expect(body.count <= bytes.count)
                if let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) { _ = ApplianceStatus.DirectorView(json: json) }
            }
        }
        #expect(parsed > 1000, "the mutations should leave many answers whole enough to parse")
    }
}
