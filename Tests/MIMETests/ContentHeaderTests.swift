import MIME
import Testing
import ShoalTestFixtures

/// Content-Type and Content-Disposition with RFC 2231 parameters, and RFC 2047 encoded words.
@Suite(.offCooperativePool) struct ContentHeaderTests {
    @Test func contentTypeKeepsCaseAndParameters() {
        let type = ContentType(parsing: Array(#"Multipart/Mixed; Boundary="a b"; x=y (comment)"#.utf8))
        #expect(type.type == "Multipart" && type.subtype == "Mixed")
        #expect(type.isMultipart)
        #expect(type.boundary == Array("a b".utf8))
        #expect(type.parameters == [MIMEParameter(name: "Boundary", value: "a b"), MIMEParameter(name: "x", value: "y")])
    }

    @Test func rfc2231ContinuationsMergeAsDovecotDoes() {
        let type = ContentType(parsing: Array("application/pdf; name*0*=UTF-8''%E2%82%AC%20rates; name*1*=.pdf; title*1=b; title*0=\"a\"".utf8))
        #expect(type.parameters == [
            MIMEParameter(name: "name*", value: "UTF-8''%E2%82%AC%20rates.pdf"),
            MIMEParameter(name: "title", value: "ab"),
        ])
        #expect(type.parameters.value(named: "name") == "€ rates.pdf")
        #expect(type.parameters.value(named: "title") == "ab")
    }

    @Test func rfc2231MixedAndBrokenRuns() {
        // Dovecot's own test case: plain pieces of an extended run are %-escaped; a gap keeps the pieces.
        let type = ContentType(parsing: Array("x/y; key*2=ba%; key2*0=a; key3*0*=us-ascii'en'xyz; key*0=\"foo\"; key2*1*=b%25; key3*1=plop%; key*1=baz; gap*0=a; gap*2=c".utf8))
        #expect(type.parameters == [
            MIMEParameter(name: "gap*0", value: "a"),
            MIMEParameter(name: "gap*2", value: "c"),
            MIMEParameter(name: "key", value: "foobazba%"),
            MIMEParameter(name: "key2*", value: "''ab%25"),
            MIMEParameter(name: "key3*", value: "us-ascii'en'xyzplop%25"),
        ])
        #expect(type.parameters.value(named: "key3") == "xyzplop%")
    }

    @Test func dispositionFilename() {
        let disposition = ContentDisposition(parsing: Array("attachment; filename*=iso-8859-1''caf%E9.txt; size=5".utf8))
        #expect(disposition.type == "attachment")
        #expect(disposition.filename == "café.txt")
        #expect(disposition.parameters.first == MIMEParameter(name: "size", value: "5"))
    }

    @Test func encodedWords() {
        #expect(EncodedWord.decode("=?UTF-8?B?w6lsw6h2ZQ==?= and =?ISO-8859-1?Q?caf=E9?=") == "élève and café")
        #expect(EncodedWord.decode("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab")
        #expect(EncodedWord.decode("=?utf-8?q?a_b?=  x") == "a b  x")
        #expect(EncodedWord.decode("=?us-ascii?q?plain?=") == "plain")
        #expect(EncodedWord.decode("=?koi8-r?b?7tXT?=") == "=?koi8-r?b?7tXT?=")
        #expect(EncodedWord.decode("=?utf-8?x?abc?=") == "=?utf-8?x?abc?=")
        #expect(EncodedWord.decode("=?utf-8?q?broken") == "=?utf-8?q?broken")
        #expect(EncodedWord.decode("=?utf-8*en?q?lang?=") == "lang")
        #expect(EncodedWord.decode(bytes: Array("=?utf-8?q?fol?=\r\n =?utf-8?q?ded?=".utf8)) == "folded")
    }

    @Test func envelopeDecodedSubjectForSearch() {
        let message = MIMEMessage.parse(Array("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus\r\n =?UTF-8?B?S8O2bG4=?=\r\n\r\n".utf8))
        #expect(message.envelope.decodedSubject == "Grüße aus Köln")
        #expect(message.envelope.subject == "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus\r\n =?UTF-8?B?S8O2bG4=?=")
    }

    @Test func imapStrings() {
        func render(_ body: (inout [UInt8]) -> Void) -> String {
            var out: [UInt8] = []
            body(&out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(render { IMAPString.append(nil as String?, to: &$0) } == "NIL")
        #expect(render { IMAPString.append(#"a"b\c"#, to: &$0) } == #""a\"b\\c""#)
        #expect(render { IMAPString.append(String(repeating: "\"", count: 4), to: &$0) } == #""\"\"\"\"""#)
        #expect(render { IMAPString.append(String(repeating: "\"", count: 5), to: &$0) } == "{5}\r\n\"\"\"\"\"")
        #expect(render { IMAPString.append("é", to: &$0) } == "{2}\r\né")
        #expect(render { IMAPString.append("a\r\nb", to: &$0) } == "{4}\r\na\r\nb")
        #expect(render { IMAPString.appendUnfolded("a\r\n b", to: &$0) } == #""a b""#)
        #expect(render { IMAPString.appendForHumans("  a \t b ", to: &$0) } == "{3}\r\na b")
        #expect(render { IMAPString.appendForHumans("plain text", to: &$0) } == #""plain text""#)
        #expect(render { IMAPString.appendForHumans(" \t ", to: &$0) } == #""""#)
    }
}
