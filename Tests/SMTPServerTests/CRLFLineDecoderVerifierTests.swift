import NIOCore
import NIOTestUtils
import ShoalCore
import Testing

/// NIO's own verifier (drip feed, many at once, shuffled) on the strict CRLF decoder.
@Suite struct CRLFLineDecoderVerifierTests {
    @Test func verifierAgrees() throws {
        func line(_ text: String) -> CRLFLineDecoder.Line { .line(ByteBuffer(string: text)) }
        let long = String(repeating: "x", count: 40)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("EHLO cl\r\n", [line("EHLO cl")]),
                ("\r\n", [line("")]),
                ("a\nb\r\n", [line("a\nb")]),
                ("c\rd\r\r\n", [line("c\rd\r")]),
                ("12345678\r\n", [line("12345678")]),
                ("123456789\r\n", [.tooLong]),
                ("\(long)\r\(long)\n\r\n", [.tooLong]),
                ("one\r\ntwo\r\n", [line("one"), line("two")]),
            ],
            decoderFactory: { CRLFLineDecoder(maximumLineLength: 10) })
    }
}
