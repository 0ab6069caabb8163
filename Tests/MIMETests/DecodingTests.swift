import MIME
import Testing
import ShoalTestFixtures

/// What SEARCH needs: bodies with their transfer encoding undone and charsets decoded, header values decoded.
@Suite(.offCooperativePool) struct DecodingTests {
    static let message = MIMEMessage.parse(Array("""
        From: =?iso-8859-1?q?Andr=E9?= <a@b>\r
        Subject: =?utf-8?b?w6ljaGFudGlsbG9u?=\r
        Content-Type: multipart/mixed; boundary=b\r
        \r
        --b\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        caf=C3=A9 au lait, tr=\r
        ois euros\r
        --b\r
        Content-Type: text/plain; charset=windows-1252\r
        Content-Transfer-Encoding: base64\r
        \r
        gCAxMCCTcXVvdGVklA==\r
        --b\r
        Content-Type: application/octet-stream\r
        Content-Transfer-Encoding: base64\r
        \r
        AAEC\r
        --b--\r

        """.utf8))

    @Test func textPartsDecodeTransferEncodingAndCharset() throws {
        let message = Self.message
        let first = try #require(message.partIndex(at: [1]))
        #expect(message.decodedText(ofPart: first) == "café au lait, trois euros")
        let second = try #require(message.partIndex(at: [2]))
        #expect(message.decodedText(ofPart: second) == "€ 10 \u{201C}quoted\u{201D}")
        let third = try #require(message.partIndex(at: [3]))
        #expect(message.decodedText(ofPart: third) == nil)
        #expect(message.decodedBody(ofPart: third) == [0, 1, 2])
        #expect(message.decodedText(ofPart: 0) == nil)
    }

    @Test func headerValuesForSearch() {
        #expect(Self.message.decodedHeaderValue("from") == ["André <a@b>"])
        #expect(Self.message.decodedHeaderValue("Subject") == ["échantillon"])
        #expect(Self.message.decodedHeaderValue("Cc").isEmpty)
    }

    @Test func charsets() {
        #expect(Charset.decode([0xE9], charset: "ISO-8859-1") == "é")
        #expect(Charset.decode([0xA4], charset: "iso-8859-15") == "€")
        #expect(Charset.decode([0x80, 0x99], charset: "Windows-1252") == "€™")
        #expect(Charset.decode([0xC3, 0xA9], charset: "utf-8") == "é")
        #expect(Charset.decode([0xE9], charset: "utf-8") == nil)
        #expect(Charset.decode([0xE9], charset: "us-ascii") == nil)
        #expect(Charset.decode([0x41], charset: "koi8-r") == nil)
    }

    @Test func eightBitHeaderTextIsKeptAsOctets() {
        let message = MIMEMessage.parse([UInt8]("Subject: caf".utf8) + [0xE9] + [UInt8]("\r\n\r\n".utf8))
        #expect(message.envelope.subject?.bytes == [UInt8]("caf".utf8) + [0xE9])
        #expect(message.envelope.subject?.string == "café")
        // Sent back unchanged, as a literal.
        #expect(Array(message.envelope.imapBytes.prefix(13)) == [UInt8]("(NIL {4}\r\ncaf".utf8))
    }
}
