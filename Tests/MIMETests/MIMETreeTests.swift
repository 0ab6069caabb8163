import MIME
import Testing
import ShoalTestFixtures

/// The MIME tree: section numbers (RFC 3501 §6.4.5), byte ranges and malformed structure.
@Suite(.offCooperativePool) struct MIMETreeTests {
    static let nested = Array("""
        From: a@b.c\r
        Subject: fwd\r
        Content-Type: multipart/mixed; boundary="outer"\r
        \r
        preamble\r
        --outer\r
        Content-Type: text/plain; charset=us-ascii\r
        \r
        see below\r
        --outer\r
        Content-Type: message/rfc822\r
        \r
        From: Inner <in@n.er>\r
        Subject: inner\r
        Content-Type: multipart/alternative; boundary=inner\r
        \r
        --inner\r
        Content-Type: text/plain\r
        \r
        plain\r
        --inner\r
        Content-Type: text/html\r
        \r
        <b>html</b>\r
        --inner--\r
        \r
        --outer--\r
        epilogue\r

        """.utf8)

    func section(_ message: MIMEMessage, _ text: String) -> String? {
        guard let section = MessageSection(parsing: text), let bytes = message.bytes(of: section) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func sectionsOfANestedMessage() {
        let message = MIMEMessage.parse(Self.nested)
        #expect(message.parts.count == 6)
        #expect(section(message, "1") == "see below")
        #expect(section(message, "1.MIME") == "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
        #expect(section(message, "2.MIME") == "Content-Type: message/rfc822\r\n\r\n")
        #expect(section(message, "2.HEADER") == "From: Inner <in@n.er>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n")
        #expect(section(message, "2.HEADER.FIELDS (SUBJECT)") == "Subject: inner\r\n\r\n")
        #expect(section(message, "2.TEXT")?.hasPrefix("--inner\r\n") == true)
        #expect(section(message, "2.TEXT")?.hasSuffix("--inner--\r\n") == true)
        #expect(section(message, "2")?.hasPrefix("From: Inner") == true)
        #expect(section(message, "2.1") == "plain")
        #expect(section(message, "2.2") == "<b>html</b>")
        #expect(section(message, "2.2.MIME") == "Content-Type: text/html\r\n\r\n")
        #expect(section(message, "2.3") == nil)
        #expect(section(message, "3") == nil)
        // As Dovecot answers: a single part is its own part 1, once.
        #expect(section(message, "1.1") == "see below")
        #expect(section(message, "1.1.1") == nil)
        #expect(section(message, "2.2.1") == "<b>html</b>")
        #expect(section(message, "2.2.1.1") == nil)
        #expect(section(message, "1.HEADER") == nil)
        #expect(section(message, "HEADER.FIELDS.NOT (From Content-Type)") == "Subject: fwd\r\n\r\n")
        #expect(section(message, "")?.utf8.count == Self.nested.count)
    }

    @Test func messageRFC822WithASinglePartBody() {
        let message = MIMEMessage.parse(Array("Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n".utf8))
        #expect(section(message, "1") == "Subject: inner\r\n\r\nbody\r\n")
        #expect(section(message, "1.HEADER") == "Subject: inner\r\n\r\n")
        #expect(section(message, "1.TEXT") == "body\r\n")
        #expect(section(message, "1.1") == "body\r\n")
        #expect(message.envelope(ofPart: message.partIndex(at: [1]) ?? -1)?.subject == "inner")
    }

    @Test func sectionParsing() {
        #expect(MessageSection(parsing: "") == MessageSection())
        #expect(MessageSection(parsing: "1.2.3") == MessageSection(path: [1, 2, 3]))
        #expect(MessageSection(parsing: "4.mime") == MessageSection(path: [4], text: .mime))
        #expect(MessageSection(parsing: "MIME") == nil)
        #expect(MessageSection(parsing: "0") == nil)
        #expect(MessageSection(parsing: "1.HEADER.FIELDS.NOT (A \"B\")") == MessageSection(path: [1], text: .headerFieldsNot(["A", "B"])))
        #expect(MessageSection(parsing: "HEADER.FIELDS") == nil)
        #expect(MessageSection(parsing: "BOGUS") == nil)
    }

    @Test func missingFinalBoundaryAndTrailingWhitespace() {
        let message = MIMEMessage.parse(Array("Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\none\r\n--zz \r\nContent-Type: text/plain\r\n\r\ntwo\r\nthree\r\n".utf8))
        #expect(section(message, "1") == "one")
        #expect(section(message, "2") == "two\r\nthree\r\n")
    }

    @Test func innerMultipartWithoutCloseIsEndedByTheOuterBoundary() {
        let text = "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\nin\r\n--o\r\n\r\nsecond\r\n--o--\r\n"
        let message = MIMEMessage.parse(Array(text.utf8))
        #expect(section(message, "1.1") == "in")
        #expect(section(message, "2") == "second")
    }

    @Test func headerOnlyEmptyAndNoBlankLine() {
        let headerOnly = MIMEMessage.parse(Array("Subject: x\r\n".utf8))
        #expect(headerOnly.root.headerRange == 0..<12 && headerOnly.root.bodyRange == 12..<12)
        let empty = MIMEMessage.parse([UInt8]())
        #expect(empty.parts.count == 1 && empty.root.bodyRange == 0..<0)
        #expect(section(empty, "1") == "")
        let noBlank = MIMEMessage.parse(Array("Subject: x\r\nnot a header\r\n".utf8))
        #expect(noBlank.header.fields.map(\.name) == ["Subject"])
        #expect(noBlank.root.bodyRange.isEmpty)
    }

    @Test func bareLineFeedsCountAsCRLFInSizes() {
        let message = MIMEMessage.parse(Array("Subject: x\n\na\nb\n".utf8))
        #expect(message.root.bodyRange.count == 4)
        #expect(message.root.bodySize == 6)
        #expect(message.root.bodyLines == 2)
    }

    @Test func tenThousandParts() {
        var text = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        for index in 0..<10_000 { text += "--b\r\nContent-Type: text/plain\r\n\r\npart \(index)\r\n" }
        text += "--b--\r\n"
        let message = MIMEMessage.parse(Array(text.utf8))
        #expect(message.parts.count == 10_001)
        #expect(message.root.children.count == 10_000)
        #expect(section(message, "1") == "part 0")
        #expect(section(message, "10000") == "part 9999")
        #expect(message.parts.allSatisfy { !$0.isTruncated })
        #expect(message.bodyStructure().count > 500_000)
    }

    @Test func pastThePartCapTheLastPartRunsOn() {
        var text = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        for index in 0..<10 { text += "--b\r\n\r\np\(index)\r\n" }
        text += "--b--\r\nepilogue\r\n"
        let message = MIMEMessage.parse(Array(text.utf8), limits: MIMELimits(maximumParts: 4))
        #expect(message.parts.count == 5)
        #expect(section(message, "3") == "p2")
        #expect(section(message, "4") == "p3\r\n--b\r\n\r\np4\r\n--b\r\n\r\np5\r\n--b\r\n\r\np6\r\n--b\r\n\r\np7\r\n--b\r\n\r\np8\r\n--b\r\n\r\np9")
        #expect(message.part(at: [4])?.isTruncated == true)
    }

    @Test func thousandLevelsOfNestingStopAtTheDepthCap() {
        var text = ""
        for level in 0..<1_000 { text += "Content-Type: multipart/mixed; boundary=b\(level)x\r\n\r\n--b\(level)x\r\n" }
        text += "\r\ninnermost\r\n"
        let message = MIMEMessage.parse(Array(text.utf8))
        #expect(message.parts.count == 101)
        #expect(message.parts.map(\.depth).max() == 100)
        let deepest = message.part(at: Array(repeating: 1, count: 100))
        #expect(deepest?.isTruncated == true && deepest?.depth == 100)
        #expect(message.bodyStructure().count > 1_000)
    }

    @Test func deepMessageRFC822Nesting() {
        let text = String(repeating: "Content-Type: message/rfc822\r\n\r\n", count: 1_000) + "Subject: deep\r\n\r\nbody\r\n"
        let message = MIMEMessage.parse(Array(text.utf8))
        #expect(message.parts.count == 101)
        #expect(!message.bodyStructure().isEmpty)
    }
}
