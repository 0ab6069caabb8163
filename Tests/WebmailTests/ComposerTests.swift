import Foundation
import HTMLSanitizer
import MIME
import Testing
import Webmail

/// Writing messages (headers, encodings, attachments, injection) and reading them back with the MIME parser.
@Suite struct ComposerTests {
    static let date = Date(timeIntervalSince1970: 1_796_330_346)

    @Test func aPlainMessage() throws {
        let composer = MessageComposer(from: "alice@shoal.test", to: ["bob@shoal.test"], cc: ["carol@shoal.test"], subject: "Hello",
                                       text: "line one\nline two", inReplyTo: "<a@b>", references: ["<x@y>", "bad ref"])
        let text = String(decoding: try composer.render(date: Self.date, messageID: "<id@shoal.test>", boundary: "b"), as: UTF8.self)
        #expect(text.contains("From: <alice@shoal.test>\r\nTo: <bob@shoal.test>\r\nCc: <carol@shoal.test>\r\nSubject: Hello\r\n"))
        #expect(text.contains("Date: Thu, 03 Dec 2026"))
        #expect(text.contains("In-Reply-To: <a@b>\r\nReferences: <x@y>\r\n"))
        #expect(text.hasSuffix("\r\n\r\nline one\r\nline two\r\n"))
        #expect(composer.recipients == ["bob@shoal.test", "carol@shoal.test"])
    }

    @Test func nonASCIIIsEncodedAndReadsBack() throws {
        let composer = MessageComposer(from: "a@shoal.test", to: ["b@shoal.test"], subject: "Grüße aus Köln – ein längerer Betreff über vieles",
                                       text: "Schöne Grüße")
        let bytes = try composer.render(date: Self.date, messageID: "<i@x>", boundary: "b")
        #expect(bytes.allSatisfy { $0 < 0x80 })
        let message = MIMEMessage.parse(bytes)
        #expect(message.envelope.decodedSubject == "Grüße aus Köln – ein längerer Betreff über vieles")
        #expect(message.decodedText(ofPart: 0) == "Schöne Grüße\r\n")
    }

    @Test func headerInjectionIsImpossible() throws {
        #expect(throws: MessageComposer.CompositionError.self) { try MessageComposer.addresses("bob@shoal.test\r\nBcc: eve@evil.example") == [] }
        #expect(throws: MessageComposer.CompositionError.self) { try MessageComposer.addresses("bob@shoal.test>, <x") }
        let composer = MessageComposer(from: "a@shoal.test", to: ["b@shoal.test"], subject: "x\r\nBcc: eve@evil.example", text: "t")
        let text = String(decoding: try composer.render(date: Self.date, messageID: "<i@x>", boundary: "b"), as: UTF8.self)
        #expect(!text.contains("\r\nBcc:"))
        #expect(throws: MessageComposer.CompositionError.self) {
            try MessageComposer(from: "a@shoal.test", to: ["b@x\r\nBcc: c@d"], subject: "", text: "").render(date: Self.date, messageID: "<i@x>", boundary: "b")
        }
    }

    @Test func addressListsAreParsed() throws {
        #expect(try MessageComposer.addresses("Bob <bob@shoal.test>, carol@shoal.test; ") == ["bob@shoal.test", "carol@shoal.test"])
        #expect(try MessageComposer.addresses("") == [])
        #expect(throws: MessageComposer.CompositionError.invalidAddress("nobody")) { try MessageComposer.addresses("nobody") }
    }

    @Test func attachmentsAndForwardsReadBack() throws {
        let original = Array("From: <x@y>\r\nSubject: original\r\n\r\nbody\r\n".utf8)
        let composer = MessageComposer(from: "a@shoal.test", to: ["b@shoal.test"], subject: "Fwd: original", text: "see below", attachments: [
            .init(filename: "forwarded.eml", contentType: "message/rfc822", bytes: original),
            .init(filename: "data \"q\".bin", contentType: "application/octet-stream", bytes: Array(0...255)),
        ])
        let message = MIMEMessage.parse(try composer.render(date: Self.date, messageID: "<i@x>", boundary: "=_b"))
        let view = MessageView(message: message) { _ in HTMLSanitizer() }
        #expect(view.text == "see below\r\n")
        #expect(view.attachments.map(\.contentType) == ["message/rfc822", "application/octet-stream"])
        #expect(view.attachments[1].filename == "data q.bin")
        #expect(message.decodedBody(ofPart: view.attachments[1].part) == Array(0...255))
    }

    @Test func theViewSanitizesHTMLAndMapsContentIDs() {
        let raw = """
            From: =?UTF-8?B?SsO2cmc=?= <j@x>\r
            Subject: =?UTF-8?Q?caf=C3=A9?=\r
            Content-Type: multipart/related; boundary=r\r
            \r
            --r\r
            Content-Type: text/html; charset=utf-8\r
            \r
            <p onclick=x>hi<img src="cid:logo@x"><script>alert(1)</script><img src="http://t.example/p"></p>\r
            --r\r
            Content-Type: image/png\r
            Content-ID: <logo@x>\r
            Content-Transfer-Encoding: base64\r
            \r
            iVBORw0KGgo=\r
            --r--\r

            """
        let view = MessageView(message: MIMEMessage.parse(Array(raw.utf8))) { ids in
            HTMLSanitizer(contentIDURL: { ids[$0].map { "/part?part=\($0)" } })
        }
        #expect(view.subject == "café")
        #expect(view.from.hasPrefix("Jörg"))
        #expect(view.html?.html == "<p>hi<img src=\"/part?part=2\"><img></p>")
        #expect(view.html?.blockedRemoteImages == 1)
        #expect(view.contentIDs == ["logo@x": 2])
        #expect(view.attachments.map(\.part) == [2])
    }
}
