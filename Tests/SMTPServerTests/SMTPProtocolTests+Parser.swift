import MailAccess
import NIOCore
@testable import SMTPServer
import Testing

private func parse(_ line: String, utf8: Bool = false) -> SMTPCommand? {
    try? SMTPCommand.parse(Array(line.utf8), utf8Addresses: utf8)
}

/// The reply a bad line gets, as text.
private func refusal(_ line: String, utf8: Bool = false) -> String? {
    do {
        _ = try SMTPCommand.parse(Array(line.utf8), utf8Addresses: utf8)
        return nil
    } catch {
        return error.reply.description
    }
}

private func mailbox(_ local: String, _ domain: String) -> SMTPMailbox { SMTPMailbox(localPart: local, domain: domain) }

extension SMTPProtocolTests {
    /// Command line syntax (RFC 5321 §4.1, with the ESMTP parameters Shoal knows).
    @Suite struct Parser {
        @Test func verbsAreCaseInsensitive() {
            #expect(parse("ehlo client.example") == .ehlo("client.example"))
            #expect(parse("HeLo client") == .helo("client"))
            #expect(parse("LHLO [192.0.2.1]") == .lhlo("[192.0.2.1]"))
            #expect(parse("data") == .data)
            #expect(parse("Quit") == .quit)
            #expect(parse("rset") == .rset)
            #expect(parse("NOOP") == .noop)
            #expect(parse("NOOP hello there") == .noop)
            #expect(parse("HELP") == .help(nil))
            #expect(parse("help data") == .help("data"))
            #expect(parse("VRFY bob") == .vrfy("bob"))
            #expect(parse("STARTTLS") == .starttls)
            #expect(parse("starttls ") == .starttls)  // trailing blanks tolerated
            #expect(parse("EXPN list") == .notImplemented("EXPN"))
            #expect(parse("etrn x") == .notImplemented("ETRN"))
        }

        @Test func unknownAndMalformedVerbs() {
            for line in ["", " ", "FOO", "MAIL:", "DAT", "DATAX", "HELO\u{0}", "\u{FF}", "12", "MAILFROM:<a@b>"] {
                #expect(refusal(line) == "500 5.5.2 Syntax error, command unrecognized", "\(line)")
            }
        }

        @Test func helloNeedsAName() {
            #expect(refusal("EHLO") == "501 5.5.4 Syntax: EHLO hostname")
            #expect(refusal("HELO   ") == "501 5.5.4 Syntax: HELO hostname")
            #expect(refusal("LHLO a\u{1}b") == "501 5.5.4 Syntax: LHLO hostname")
        }

        @Test func mailFrom() {
            #expect(parse("MAIL FROM:<alice@example.net>") == .mail(reversePath: mailbox("alice", "example.net"), parameters: .init()))
            #expect(parse("MAIL FROM: <alice@example.net>") == .mail(reversePath: mailbox("alice", "example.net"), parameters: .init()))
            #expect(parse("mail from:<>") == .mail(reversePath: nil, parameters: .init()))
            #expect(parse("MAIL FROM:<a@b.c> SIZE=1234 BODY=8BITMIME") == .mail(
                reversePath: mailbox("a", "b.c"), parameters: .init(size: 1234, body: .eightBitMIME)))
            #expect(parse("MAIL FROM:<a@b.c>  body=binarymime  auth=<> smtputf8") == .mail(
                reversePath: mailbox("a", "b.c"), parameters: .init(body: .binaryMIME, smtputf8: true, auth: "<>")))
            #expect(parse("MAIL FROM:<a@b.c> BODY=7bit AUTH=e+3Dmc2@example.com") == .mail(
                reversePath: mailbox("a", "b.c"), parameters: .init(body: .sevenBit, auth: "e+3Dmc2@example.com")))
        }

        @Test func mailFromErrors() {
            #expect(refusal("MAIL") == "501 5.5.4 Syntax: MAIL FROM:<address>")
            #expect(refusal("MAIL FROM:") == "501 5.5.4 Syntax: MAIL FROM:<address>")
            #expect(refusal("MAIL FROM:alice@example.net") == "501 5.5.4 Syntax: MAIL FROM:<address>")
            #expect(refusal("MAIL FROM:<alice@example.net") == "501 5.5.4 Syntax: MAIL FROM:<address>")
            #expect(refusal("MAIL FROM:<a@b.c>SIZE=1") == "501 5.5.4 Syntax: MAIL FROM:<address>")
            #expect(refusal("MAIL FROM:<a@b.c> SIZE=") == "501 5.5.4 Bad SIZE parameter")
            #expect(refusal("MAIL FROM:<a@b.c> SIZE=-1") == "501 5.5.4 Bad SIZE parameter")
            #expect(refusal("MAIL FROM:<a@b.c> SIZE=99999999999999999999") == "501 5.5.4 Bad SIZE parameter")
            #expect(refusal("MAIL FROM:<a@b.c> SIZE=1 SIZE=2") == "501 5.5.4 Duplicate SIZE parameter")
            #expect(refusal("MAIL FROM:<a@b.c> BODY=9BIT") == "501 5.5.4 Bad BODY parameter")
            #expect(refusal("MAIL FROM:<a@b.c> BODY") == "501 5.5.4 Bad BODY parameter")
            #expect(refusal("MAIL FROM:<a@b.c> SMTPUTF8=yes") == "501 5.5.4 Bad SMTPUTF8 parameter")
            #expect(refusal("MAIL FROM:<a@b.c> AUTH") == "501 5.5.4 Bad AUTH parameter")
            #expect(refusal("MAIL FROM:<a@b.c> RET=FULL") == "555 5.5.4 Unsupported parameter RET")
            #expect(refusal("MAIL FROM:<a@b.c> -X=1") == "501 5.5.4 Bad parameter syntax")
            #expect(refusal("MAIL FROM:<a@b.c> X=a=b") == "501 5.5.4 Bad X parameter")
        }

        @Test func rcptTo() {
            #expect(parse("RCPT TO:<bob@example.org>") == .rcpt(forwardPath: mailbox("bob", "example.org")))
            #expect(parse("rcpt to: <bob@example.org>") == .rcpt(forwardPath: mailbox("bob", "example.org")))
            #expect(parse("RCPT TO:<postmaster>") == .rcpt(forwardPath: mailbox("postmaster", "")))
            #expect(parse("RCPT TO:<PostMaster>")?.forwardPath?.isPostmaster == true)
            #expect(parse("RCPT TO:<@a.example,@b.example:bob@example.org>") == .rcpt(forwardPath: mailbox("bob", "example.org")))
            #expect(refusal("RCPT TO:<>") == "501 5.1.3 Bad recipient address syntax")
            #expect(refusal("RCPT TO:<bob>") == "501 5.1.3 Bad recipient address syntax")
            #expect(refusal("RCPT TO:bob@example.org") == "501 5.5.4 Syntax: RCPT TO:<address>")
            #expect(refusal("RCPT FROM:<bob@example.org>") == "501 5.5.4 Syntax: RCPT TO:<address>")
            #expect(refusal("RCPT TO:<bob@example.org> ORCPT=rfc822;bob@example.org") == "555 5.5.4 Unsupported parameter ORCPT")
            #expect(refusal("RCPT TO:<@a.example:>") == "501 5.1.3 Bad recipient address syntax")
            #expect(refusal("RCPT TO:<@:bob@example.org>") == "501 5.1.3 Bad recipient address syntax")
            #expect(refusal("RCPT TO:<a.example:bob@example.org>") == "501 5.1.3 Bad recipient address syntax")
        }

        @Test(arguments: [
            "a@b", "first.last@example.org", "x+tag@sub.example.co.uk", "!#$%&'*+-/=?^_`{|}~@example.org",
            "\"quoted string\"@example.org", "\"a\\\"b\"@example.org", "\"with>bracket\"@example.org", "\"\"@example.org",
            "u@[192.0.2.1]", "u@[IPv6:2001:db8::1]", "u@[ipv6:::1]", "u@xn--bcher-kva.example", "u@1-2.example", "u@9.example",
        ])
        func validAddresses(_ address: String) {
            #expect(parse("RCPT TO:<\(address)>") != nil, "\(address)")
            #expect(parse("MAIL FROM:<\(address)>") != nil, "\(address)")
        }

        @Test(arguments: [
            "@example.org", "a@", "a", ".a@example.org", "a.@example.org", "a..b@example.org", "a b@example.org",
            "a@-example.org", "a@example-.org", "a@example..org", "a@.example.org", "a@example.org.", "a@exa_mple.org",
            "a@[192.0.2.256]", "a@[1.2.3]", "a@[2001:db8::1]", "a@[IPv6:1.2.3.4]", "a@[tag:x]", "a@b@c", "\"a@example.org",
            "\"a\"b@example.org", "a\"b\"@example.org", "a(comment)@example.org", "a@exa mple.org", "\"\u{7}\"@example.org",
        ])
        func invalidAddresses(_ address: String) {
            #expect(refusal("RCPT TO:<\(address)>") != nil, "\(address)")
        }

        @Test func addressLengthLimits() {
            let local64 = String(repeating: "l", count: 64)
            #expect(parse("RCPT TO:<\(local64)@example.org>") != nil)
            #expect(refusal("RCPT TO:<\(local64)l@example.org>") == "501 5.1.3 Bad recipient address syntax")
            let label63 = String(repeating: "d", count: 63)
            #expect(parse("RCPT TO:<a@\(label63).org>") != nil)
            #expect(refusal("RCPT TO:<a@\(label63)d.org>") == "501 5.1.3 Bad recipient address syntax")
            let longDomain = Array(repeating: label63, count: 4).joined(separator: ".")  // 255 octets
            #expect(refusal("RCPT TO:<a@\(longDomain)>") == "501 5.1.3 Bad recipient address syntax")  // path > 256
        }

        @Test func utf8AddressesOnlyWithSMTPUTF8() {
            #expect(refusal("MAIL FROM:<jösé@example.org>") == "553 5.6.7 Non-ASCII address requires SMTPUTF8")
            #expect(refusal("MAIL FROM:<a@exämple.org>") == "553 5.6.7 Non-ASCII address requires SMTPUTF8")
            #expect(parse("MAIL FROM:<jösé@exämple.org> SMTPUTF8") == .mail(
                reversePath: mailbox("jösé", "exämple.org"), parameters: .init(smtputf8: true)))
            #expect(refusal("RCPT TO:<用户@例子.广告>") == "553 5.6.7 Non-ASCII address requires SMTPUTF8")
            #expect(parse("RCPT TO:<用户@例子.广告>", utf8: true) == .rcpt(forwardPath: mailbox("用户", "例子.广告")))
            #expect(parse("RCPT TO:<\"ü\"@example.org>", utf8: true) != nil)
            #expect(mailbox("用户", "例子.广告").isInternationalized)
            #expect(!mailbox("a", "b").isInternationalized)
        }

        @Test func invalidUTF8Arguments() {
            #expect((try? SMTPCommand.parse([0x4D, 0x41, 0x49, 0x4C, 0x20, 0xFF])) == nil)
            do {
                _ = try SMTPCommand.parse(Array("RCPT TO:<".utf8) + [0xC3] + Array("@x.org>".utf8), utf8Addresses: true)
                Issue.record("accepted invalid UTF-8")
            } catch {
                #expect(error.reply.description == "501 5.1.3 Bad recipient address syntax")
            }
        }

        @Test func bdat() {
            #expect(parse("BDAT 0") == .bdat(size: 0, last: false))
            #expect(parse("BDAT 1000 LAST") == .bdat(size: 1000, last: true))
            #expect(parse("bdat 007 last") == .bdat(size: 7, last: true))
            for line in ["BDAT", "BDAT x", "BDAT -1", "BDAT 1 LAST x", "BDAT 1 FIRST", "BDAT 1234567890123456789", "BDAT +1"] {
                #expect(refusal(line) == "501 5.5.4 Syntax: BDAT size [LAST]", "\(line)")
            }
        }

        @Test func auth() {
            #expect(parse("AUTH plain") == .auth(mechanism: "PLAIN", initialResponse: nil))
            #expect(parse("AUTH PLAIN AGFAYg==") == .auth(mechanism: "PLAIN", initialResponse: "AGFAYg=="))
            #expect(parse("AUTH LOGIN =") == .auth(mechanism: "LOGIN", initialResponse: "="))
            #expect(parse("AUTH SCRAM-SHA-256") == .auth(mechanism: "SCRAM-SHA-256", initialResponse: nil))
            #expect(refusal("AUTH") == "501 5.5.4 Syntax: AUTH mechanism [initial-response]")
            #expect(refusal("AUTH PLAIN a b") == "501 5.5.4 Syntax: AUTH mechanism [initial-response]")
            #expect(refusal("AUTH PL@IN") == "501 5.5.4 Syntax: AUTH mechanism [initial-response]")
        }

        @Test func commandsWithoutArguments() {
            for line in ["DATA x", "RSET x", "QUIT x", "STARTTLS x"] {
                #expect(refusal(line) == "501 5.5.4 Syntax error, no parameters allowed", "\(line)")
            }
            #expect(refusal("VRFY") == "501 5.5.4 Syntax: VRFY address")
        }
    }

    /// Reply rendering (RFC 5321 §4.2, RFC 2034).
    @Suite struct Replies {
        @Test func singleAndMultiLine() {
            #expect(SMTPReply(250, SMTPEnhancedStatusCode(2, 1, 0), "Ok").rendered() == "250 2.1.0 Ok\r\n")
            #expect(SMTPReply(220, nil, "mx ESMTP").rendered() == "220 mx ESMTP\r\n")
            #expect(SMTPReply(250, nil, ["mx", "PIPELINING", "HELP"]).rendered() == "250-mx\r\n250-PIPELINING\r\n250 HELP\r\n")
            #expect(SMTPReply(550, SMTPEnhancedStatusCode(5, 7, 1), ["one", "two"]).rendered()
                == "550-5.7.1 one\r\n550 5.7.1 two\r\n")
            #expect(SMTPReply(334, nil, "").rendered() == "334 \r\n")
            #expect(SMTPReply(250, nil, []).rendered() == "250 \r\n")
            #expect(SMTPReply(250, SMTPEnhancedStatusCode(2, 0, 0), "").rendered() == "250 2.0.0\r\n")
            #expect(SMTPReply.encryptionRequired.description
                == "538 5.7.11 Encryption required for requested authentication mechanism")
            var buffer = ByteBuffer()
            SMTPReply.bye.write(to: &buffer)
            #expect(String(buffer: buffer) == "221 2.0.0 Bye\r\n")
        }

        @Test func classes() {
            #expect(SMTPReply.ok.isPositive && !SMTPReply.ok.isTransientFailure)
            #expect(SMTPReply.startData.isIntermediate)
            #expect(SMTPReply.tooManyRecipients.isTransientFailure)
            #expect(SMTPReply.userUnknown.isPermanentFailure)
        }
    }

    /// Trace headers, dates and base64.
    @Suite struct Trace {
        @Test func rfc5322Dates() {
            #expect(SMTPTrace.date(SMTPTimestamp(secondsSince1970: 0)) == "Thu, 1 Jan 1970 00:00:00 +0000")
            #expect(SMTPTrace.date(SMTPTimestamp(secondsSince1970: 1_709_164_800)) == "Thu, 29 Feb 2024 00:00:00 +0000")
            #expect(SMTPTrace.date(SMTPTimestamp(secondsSince1970: 1_700_000_000, utcOffsetMinutes: 60))
                == "Tue, 14 Nov 2023 23:13:20 +0100")
            #expect(SMTPTrace.date(SMTPTimestamp(secondsSince1970: 1_700_000_000, utcOffsetMinutes: -330))
                == "Tue, 14 Nov 2023 16:43:20 -0530")
            #expect(SMTPTrace.date(SMTPTimestamp(secondsSince1970: -1)) == "Wed, 31 Dec 1969 23:59:59 +0000")
            #expect(SMTPTrace.date(SMTPTimestamp(secondsSince1970: 4_102_444_800)) == "Fri, 1 Jan 2100 00:00:00 +0000")
        }

        @Test func receivedHeader() {
            let (returnPath, received) = SMTPTrace.headers(
                reversePath: "a@example.net", helo: "client example", peer: "2001:db8::7", hostname: "mx.example.org",
                protocolName: "ESMTPSA", id: "ID1", recipients: ["b@example.org"], timestamp: smtpFixedTime)
            #expect(returnPath == "Return-Path: <a@example.net>\r\n")
            #expect(received == """
                Received: from client_example ([IPv6:2001:db8::7])\r
                \tby mx.example.org (Shoal) with ESMTPSA id ID1\r
                \tfor <b@example.org>; Tue, 14 Nov 2023 22:13:20 +0000\r

                """)
            #expect(SMTPTrace.addressLiteral("192.0.2.1") == "[192.0.2.1]")
            #expect(SMTPTrace.addressLiteral("unix socket") == "[unix_socket]")
        }

        @Test func protocolNames() {
            #expect(SMTPTrace.protocolName(lmtp: false, extended: false, secure: false, authenticated: false, utf8: false) == "SMTP")
            #expect(SMTPTrace.protocolName(lmtp: false, extended: true, secure: false, authenticated: false, utf8: false) == "ESMTP")
            #expect(SMTPTrace.protocolName(lmtp: false, extended: true, secure: true, authenticated: false, utf8: false) == "ESMTPS")
            #expect(SMTPTrace.protocolName(lmtp: false, extended: true, secure: false, authenticated: true, utf8: false) == "ESMTPA")
            #expect(SMTPTrace.protocolName(lmtp: false, extended: true, secure: true, authenticated: true, utf8: false) == "ESMTPSA")
            #expect(SMTPTrace.protocolName(lmtp: true, extended: true, secure: false, authenticated: false, utf8: false) == "LMTP")
            #expect(SMTPTrace.protocolName(lmtp: true, extended: true, secure: true, authenticated: false, utf8: true) == "UTF8LMTPS")
            #expect(SMTPTrace.protocolName(lmtp: false, extended: true, secure: true, authenticated: true, utf8: true) == "UTF8SMTPSA")
        }

        @Test func base64() {
            #expect(SASLBase64.encode("".utf8) == "")
            #expect(SASLBase64.encode("f".utf8) == "Zg==")
            #expect(SASLBase64.encode("fo".utf8) == "Zm8=")
            #expect(SASLBase64.encode("foo".utf8) == "Zm9v")
            #expect(SASLBase64.encode("foobar".utf8) == "Zm9vYmFy")
            for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "\u{0}alice\u{0}s3cr3t€"] {
                #expect(SASLBase64.decode(SASLBase64.encode(text.utf8)) == Array(text.utf8))
            }
            for bad in ["Z", "Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\r\n", "====", "Zg==Zg==", "*"] {
                #expect(SASLBase64.decode(bad) == nil, "\(bad)")
            }
        }
    }
}

extension SMTPCommand {
    var forwardPath: SMTPMailbox? {
        if case let .rcpt(path) = self { return path }
        return nil
    }
}
