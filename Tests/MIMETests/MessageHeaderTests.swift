import MIME
import Testing
import ShoalTestFixtures

/// Header splitting, unfolding, lookup and HEADER.FIELDS(.NOT) bytes.
@Suite(.offCooperativePool) struct MessageHeaderTests {
    let header = MessageHeader(Array("Subject: one\r\n  two\r\nX-Junk line without colon\r\nfrom : a@b\r\nTo:c@d\r\nSUBJECT: again\r\n\r\n".utf8))

    @Test func fieldsKeepTheirNamesAndRawBytes() {
        #expect(header.fields.map(\.name) == ["Subject", "from", "To", "SUBJECT"])
        #expect(Array(header.rawValue(of: header.fields[0])) == Array("one\r\n  two".utf8))
        #expect(header.value(named: "subject") == "one  two")
        #expect(header.value(named: "FROM") == "a@b")
        #expect(header.value(named: "to") == "c@d")
        #expect(header.fields(named: "Subject").count == 2)
        #expect(header.value(named: "Cc") == nil)
    }

    @Test func headerFieldsAreTheSelectedRawLinesAndTheBlankLine() {
        #expect(String(decoding: header.selectedFields(["subject", "TO"]), as: UTF8.self)
            == "Subject: one\r\n  two\r\nTo:c@d\r\nSUBJECT: again\r\n\r\n")
        // HEADER.FIELDS.NOT keeps lines that are not fields, as Dovecot does.
        #expect(String(decoding: header.selectedFields(["Subject", "To"], excluding: true), as: UTF8.self)
            == "X-Junk line without colon\r\nfrom : a@b\r\n\r\n")
        // Without an empty line ending the header, HEADER.FIELDS.NOT adds none (HEADER.FIELDS always does).
        let unterminated = MessageHeader(Array("A: 1\r\nB: 2\r\n".utf8))
        #expect(unterminated.selectedFields(["A"], excluding: true) == Array("B: 2\r\n".utf8))
        #expect(unterminated.selectedFields(["A"]) == Array("A: 1\r\n\r\n".utf8))
        #expect(header.selectedFields(["Nothing"]) == Array("\r\n".utf8))
    }

    @Test func bareLineFeedsBecomeCRLFInHeaderFields() {
        let header = MessageHeader(Array("Subject: a\n b\nTo: x\n\n".utf8))
        #expect(header.selectedFields(["subject"]) == Array("Subject: a\r\n b\r\n\r\n".utf8))
        #expect(header.value(named: "subject") == "a b")
    }

    @Test func aFieldWithoutLineBreakAtTheEndStillEndsCRLF() {
        let header = MessageHeader(Array("Subject: last".utf8))
        #expect(header.selectedFields(["Subject"]) == Array("Subject: last\r\n\r\n".utf8))
    }

    @Test func sectionsOfTheMessageHeader() throws {
        let message = MIMEMessage.parse(Array("Subject: s\r\nFrom: f@g\r\n\r\nbody\r\n".utf8))
        #expect(message.bytes(of: MessageSection(text: .header)) == Array("Subject: s\r\nFrom: f@g\r\n\r\n".utf8))
        #expect(message.bytes(of: MessageSection(text: .text)) == Array("body\r\n".utf8))
        #expect(message.bytes(of: MessageSection(text: .headerFields(["From"]))) == Array("From: f@g\r\n\r\n".utf8))
        #expect(message.bytes(of: MessageSection(text: .headerFieldsNot(["From"]))) == Array("Subject: s\r\n\r\n".utf8))
        #expect(message.bytes(of: MessageSection(path: [1])) == Array("body\r\n".utf8))
        #expect(message.bytes(of: MessageSection(path: [2])) == nil)
        #expect(message.bytes(of: MessageSection(text: .mime)) == nil)
    }

    @Test func oneMegabyteHeaderLine() {
        let long = String(repeating: "x", count: 1 << 20)
        let message = MIMEMessage.parse(Array("Subject: \(long)\r\nX: y\r\n\r\nbody".utf8))
        #expect(message.header.value(named: "Subject")?.utf8.count == 1 << 20)
        #expect(message.header.value(named: "X") == "y")
        #expect(message.bytes(of: MessageSection(text: .text)) == Array("body".utf8))
        #expect(message.envelope.imapBytes.count > 1 << 20)
    }

    @Test func bareLineFeedsAreFoundWhereverTheyAre() {
        #expect(!MIMEBytes.hasBareLineFeed([]) && !MIMEBytes.hasBareLineFeed(Array("a\r\nb\r\n".utf8)))
        #expect(MIMEBytes.hasBareLineFeed([0x0A]) && MIMEBytes.hasBareLineFeed(Array("a\r\nb\n".utf8)))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...24, using: &generator)).map { _ in [UInt8(0x0A), 0x0D, 0x41].randomElement(using: &generator)! }
            let bare = bytes.indices.contains { bytes[$0] == 0x0A && ($0 == 0 || bytes[$0 - 1] != 0x0D) }
            #expect(MIMEBytes.hasBareLineFeed(bytes) == bare, "\(bytes)")
            #expect(MIMEBytes.crlfNormalized(bytes) == MIMEBytes.crlfNormalized(bytes[...]), "\(bytes)")
        }
    }
}
