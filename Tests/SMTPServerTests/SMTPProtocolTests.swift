import Directory
import NIOCore
@testable import SMTPServer
import ShoalCore
import Testing
import ShoalTestFixtures

private let ehloPlain = [
    "250-mx.example.org|250-PIPELINING|250-SIZE 1000|250-STARTTLS|250-ENHANCEDSTATUSCODES|250-8BITMIME"
        + "|250-BINARYMIME|250-CHUNKING|250-SMTPUTF8|250 HELP",
]

/// The state machine driven by hand, reply by reply.
@Suite(.offCooperativePool) struct SMTPProtocolTests {
    // MARK: Happy paths

    @Test func fullSMTPTransaction() {
        var smtp = SMTPDriver()
        #expect(smtp.start() == ["220 mx.example.org ESMTP Shoal"])
        #expect(smtp.start() == [])
        #expect(smtp.hello() == ehloPlain)
        #expect(smtp.line("MAIL FROM:<alice@example.net>") == ["250 2.1.0 Ok"])
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["check <bob@example.org> from <alice@example.net>"])
        #expect(smtp.session.isWaiting)
        #expect(smtp.feed(.recipientChecked(.local(smtpUser("bob")))) == ["250 2.1.5 Ok"])
        #expect(!smtp.session.isWaiting)
        #expect(smtp.line("DATA") == ["354 End data with <CR><LF>.<CR><LF>"])
        #expect(smtp.line("Subject: hi") == [])
        #expect(smtp.line("") == [])
        #expect(smtp.line("..leading dot") == [])
        #expect(smtp.line("body") == [])
        #expect(smtp.line(".") == ["deliver 4TESTID to bob@example.org"])
        #expect(smtp.session.isWaiting)
        let envelope = smtp.envelope!
        #expect(envelope.messageText == """
            Return-Path: <alice@example.net>\r
            Received: from client.example.net ([192.0.2.7])\r
            \tby mx.example.org (Shoal) with ESMTP id 4TESTID\r
            \tfor <bob@example.org>; Tue, 14 Nov 2023 22:13:20 +0000\r
            Subject: hi\r
            \r
            .leading dot\r
            body\r

            """)
        #expect(envelope.mailFrom == "alice@example.net")
        #expect(envelope.recipients == [SMTPRecipient(mailbox: SMTPMailbox(localPart: "bob", domain: "example.org"),
                                                      destination: .local(smtpUser("bob")))])
        #expect(envelope.bodyType == .sevenBit)
        #expect(!envelope.smtputf8 && !envelope.containsEightBitData && !envelope.secure)
        #expect(envelope.heloName == "client.example.net")
        #expect(envelope.peer == "192.0.2.7")
        #expect(envelope.returnPathLength == "Return-Path: <alice@example.net>\r\n".utf8.count)
        #expect(String(buffer: envelope.messageWithoutReturnPath).hasPrefix("Received: from client.example.net"))
        #expect(smtp.feed(.delivered([.delivered])) == ["250 2.0.0 Ok: queued as 4TESTID"])
        #expect(!smtp.session.inTransaction)
        // A second transaction on the same connection.
        #expect(smtp.line("MAIL FROM:<>") == ["250 2.1.0 Ok"])
        #expect(smtp.line("QUIT") == ["221 2.0.0 Bye", "close"])
        #expect(smtp.session.isClosed)
        #expect(smtp.line("NOOP") == [])
    }

    @Test func heloIsMinimal() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.line("HELO old.example") == ["250 mx.example.org"])
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["250 2.1.0 Ok"])
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        smtp.line("x")
        smtp.line(".")
        #expect(smtp.envelope!.messageText.contains("with SMTP id 4TESTID"))
    }

    @Test func pipelinedCommandsWaitForTheDirectory() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        // The client sent MAIL, RCPT, RCPT, DATA in one packet; the glue feeds them one at a time.
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["250 2.1.0 Ok"])
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["check <bob@example.org> from <a@example.net>"])
        // Feeding the next command while waiting is a glue bug; it is ignored rather than misread.
        #expect(smtp.line("RCPT TO:<carol@example.org>") == [])
        #expect(smtp.session.isWaiting)
        #expect(smtp.feed(.recipientChecked(.local(smtpUser("bob")))) == ["250 2.1.5 Ok"])
        #expect(smtp.line("RCPT TO:<carol@example.org>") == ["check <carol@example.org> from <a@example.net>"])
        #expect(smtp.feed(.recipientChecked(.unknown)) == ["550 5.1.1 User unknown"])
        #expect(smtp.line("DATA") == ["354 End data with <CR><LF>.<CR><LF>"])
        smtp.line("hi")
        #expect(smtp.line(".") == ["deliver 4TESTID to bob@example.org"])
        // Stray answers that were not asked for are ignored.
        #expect(smtp.feed(.recipientChecked(.unknown)) == [])
        #expect(smtp.feed(.authenticationResult(.success(user: "x"))) == [])
        #expect(smtp.feed(.delivered([.delivered])) == ["250 2.0.0 Ok: queued as 4TESTID"])
        #expect(smtp.feed(.delivered([.delivered])) == [])
        #expect(smtp.feed(.tlsStarted) == [])
    }

    @Test func dotUnstuffing() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        for line in ["..", "...", ".x", " .", "x.", ""] { #expect(smtp.line(line) == []) }
        smtp.line(".")
        let body = smtp.envelope!.messageText.split(separator: "+0000\r\n", maxSplits: 1)[1]
        #expect(body == ".\r\n..\r\nx\r\n .\r\nx.\r\n\r\n")
    }

    @Test func emptyMessage() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        #expect(smtp.line(".") == ["deliver 4TESTID to bob@example.org"])
        #expect(smtp.envelope!.messageText.hasSuffix("+0000\r\n"))
    }

    @Test func rsetNoopVrfyHelp() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.line("NOOP") == ["250 2.0.0 Ok"])
        #expect(smtp.line("noop anything at all") == ["250 2.0.0 Ok"])
        #expect(smtp.line("VRFY bob") == ["252 2.5.0 Cannot VRFY user; try RCPT to attempt delivery"])
        #expect(smtp.line("HELP") == ["214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH"])
        #expect(smtp.line("HELP MAIL") == ["214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH"])
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.session.inTransaction)
        #expect(smtp.line("RSET") == ["250 2.0.0 Ok"])
        #expect(!smtp.session.inTransaction)
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["503 5.5.1 Need MAIL command"])
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["250 2.1.0 Ok"])
        // EHLO again resets the transaction too (RFC 5321 §4.1.4).
        smtp.hello()
        #expect(!smtp.session.inTransaction)
        #expect(smtp.line("RSET now") == ["501 5.5.4 Syntax error, no parameters allowed"])
        #expect(smtp.line("QUIT now") == ["501 5.5.4 Syntax error, no parameters allowed"])
        #expect(smtp.line("VRFY") == ["501 5.5.4 Syntax: VRFY address"])
        #expect(smtp.line("EXPN staff") == ["502 5.5.1 Command not implemented"])
    }

    // MARK: Sequence errors

    @Test func sequenceErrors() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["503 5.5.1 Send HELO/EHLO first"])
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["503 5.5.1 Send HELO/EHLO first"])
        #expect(smtp.line("DATA") == ["503 5.5.1 Send HELO/EHLO first"])
        #expect(smtp.line("STARTTLS") == ["503 5.5.1 Send HELO/EHLO first"])
        #expect(smtp.line("AUTH PLAIN") == ["503 5.5.1 Send HELO/EHLO first"])
        smtp.hello()
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["503 5.5.1 Need MAIL command"])
        #expect(smtp.line("DATA") == ["503 5.5.1 Need MAIL command"])
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["503 5.5.1 Nested MAIL command"])
        #expect(smtp.line("DATA") == ["503 5.5.1 Need RCPT command"])
        #expect(smtp.session.errorCount == 9)
    }

    @Test func unknownCommandsAndSyntax() {
        var smtp = SMTPDriver(smtpConfiguration(maximumErrors: 50))
        _ = smtp.start()
        #expect(smtp.line("FOO") == ["500 5.5.2 Syntax error, command unrecognized"])
        #expect(smtp.line("") == ["500 5.5.2 Syntax error, command unrecognized"])
        #expect(smtp.line("LHLO x") == ["500 5.5.2 Syntax error, command unrecognized"])
        #expect(smtp.line("EHLO") == ["501 5.5.4 Syntax: EHLO hostname"])
        #expect(smtp.line("ehlo client") == ehloPlain)
        #expect(smtp.line("MAIL TO:<a@b>") == ["501 5.5.4 Syntax: MAIL FROM:<address>"])
        #expect(smtp.line("MAIL FROM:<a@example.net> FOO=1") == ["555 5.5.4 Unsupported parameter FOO"])
        #expect(smtp.line("MAIL FROM:<a@@example.net>") == ["501 5.1.7 Bad sender address syntax"])
        #expect(smtp.line("mail from:<a@example.net>") == ["250 2.1.0 Ok"])
        #expect(smtp.line("RCPT TO:<>") == ["501 5.1.3 Bad recipient address syntax"])
        #expect(smtp.line("RCPT TO:<bob@example.org> NOTIFY=NEVER") == ["555 5.5.4 Unsupported parameter NOTIFY"])
        #expect(smtp.line("RCPT TO:<bøb@example.org>") == ["553 5.6.7 Non-ASCII address requires SMTPUTF8"])
    }

    @Test func bareCROrLFInACommandIsRefused() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.line("NOOP\nQUIT") == ["500 5.5.2 Syntax error, bare CR or LF"])
        #expect(smtp.line("NOOP\r") == ["500 5.5.2 Syntax error, bare CR or LF"])
        #expect(smtp.session.errorCount == 2)
        #expect(!smtp.session.isClosed)
    }

    @Test func overLongCommandLine() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.feed(.lineTooLong) == ["500 5.5.2 Line too long"])
        #expect(smtp.session.errorCount == 1)
    }

    @Test func tooManyErrorsDisconnects() {
        var smtp = SMTPDriver(smtpConfiguration(maximumErrors: 3))
        _ = smtp.start()
        #expect(smtp.line("GET / HTTP/1.0") == ["500 5.5.2 Syntax error, command unrecognized"])
        #expect(smtp.line("NOOP") == ["250 2.0.0 Ok"])
        #expect(smtp.line("Host: x") == ["500 5.5.2 Syntax error, command unrecognized"])
        #expect(smtp.line("") == [
            "500 5.5.2 Syntax error, command unrecognized",
            "421 4.7.0 mx.example.org Too many errors, closing connection", "close",
        ])
        #expect(smtp.session.isClosed)
        #expect(smtp.line("NOOP") == [])
        #expect(smtp.feed(.eof) == [])
    }

    @Test func timeoutEOFAndShutdown() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.feed(.timeout) == ["421 4.4.2 mx.example.org Timeout, closing connection", "close"])
        #expect(smtp.feed(.timeout) == [])

        var other = SMTPDriver()
        _ = other.start()
        other.hello()
        other.line("MAIL FROM:<a@example.net>")
        other.rcpt("bob@example.org")
        other.line("DATA")
        other.line("half a message")
        #expect(other.feed(.eof) == ["close"])
        #expect(other.session.isClosed && !other.session.inTransaction)

        var third = SMTPDriver()
        _ = third.start()
        #expect(third.feed(.shutdown) == ["421 4.3.2 mx.example.org Service shutting down, closing connection", "close"])
    }

    // MARK: Limits

    @Test func sizeDeclaredTooBigAtMail() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        #expect(smtp.line("MAIL FROM:<a@example.net> SIZE=1001") == ["552 5.3.4 Message size exceeds fixed maximum message size"])
        #expect(smtp.line("MAIL FROM:<a@example.net> SIZE=1000") == ["250 2.1.0 Ok"])
        #expect(smtp.session.errorCount == 0)
    }

    @Test func dataTooBigIsReadToTheEndThenRefused() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        let line = String(repeating: "x", count: 98)  // 100 octets with CR LF
        for _ in 0..<10 { #expect(smtp.line(line) == []) }  // exactly 1000: still fine
        #expect(smtp.line("y") == [])  // over
        for _ in 0..<100 { #expect(smtp.line(line) == []) }
        #expect(smtp.line(".") == ["552 5.3.4 Message size exceeds fixed maximum message size"])
        #expect(!smtp.session.inTransaction)
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["503 5.5.1 Need MAIL command"])
    }

    @Test func exactlyMaximumSizeIsDelivered() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        for _ in 0..<10 { smtp.line(String(repeating: "x", count: 98)) }
        #expect(smtp.line(".") == ["deliver 4TESTID to bob@example.org"])
    }

    @Test func recipientLimit() {
        var smtp = SMTPDriver(smtpConfiguration(maximumRecipients: 2))
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.rcpt("bob@example.org") == ["check <bob@example.org> from <a@example.net>", "250 2.1.5 Ok"])
        #expect(smtp.rcpt("carol@example.org", .local(smtpUser("carol"))).last == "250 2.1.5 Ok")
        #expect(smtp.line("RCPT TO:<dave@example.org>") == ["452 4.5.3 Too many recipients"])
        // A repeated recipient is accepted again but delivered once.
        #expect(smtp.line("RCPT TO:<bob@example.org>") == ["250 2.1.5 Ok"])
        smtp.line("DATA")
        smtp.line(".")
        #expect(smtp.envelope!.recipients.map(\.address) == ["bob@example.org", "carol@example.org"])
        #expect(!smtp.envelope!.messageText.contains("\tfor <"))  // no "for" with several recipients
    }

    @Test func overLongLineInDataRejectsTheMessage() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        smtp.line("a")
        #expect(smtp.feed(.lineTooLong) == [])
        smtp.line("b")
        #expect(smtp.line(".") == ["554 5.6.0 Line too long in message"])
        #expect(smtp.session.errorCount == 0)
    }

    @Test func bareLineEndingInDataRejectsTheMessage() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        smtp.line("a\n.\nMAIL FROM:<evil@example.net>")
        #expect(smtp.line(".") == ["554 5.5.2 Bare CR or LF in message"])
    }

    @Test func eightBitDataIsAcceptedAndRecorded() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net> BODY=8bitmime")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        smtp.line(bytes: [0x63, 0x61, 0x66, 0xC3, 0xA9])
        smtp.line(".")
        #expect(smtp.envelope!.bodyType == .eightBitMIME)
        #expect(smtp.envelope!.containsEightBitData)

        var plain = SMTPDriver()
        _ = plain.start()
        plain.hello()
        plain.line("MAIL FROM:<a@example.net>")
        plain.rcpt("bob@example.org")
        plain.line("DATA")
        plain.line(bytes: [0xFF, 0x00, 0x80])
        #expect(plain.line(".") == ["deliver 4TESTID to bob@example.org"])
        #expect(plain.envelope!.bodyType == .sevenBit && plain.envelope!.containsEightBitData)
    }

    // MARK: Recipients and relaying

    @Test func recipientVerdicts() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.rcpt("x@example.org", .unknown).last == "550 5.1.1 User unknown")
        #expect(smtp.rcpt("x@example.org", .disabled).last == "550 5.2.1 Mailbox disabled")
        #expect(smtp.rcpt("x@example.org", .temporaryFailure).last == "451 4.3.0 Temporary lookup failure")
        #expect(smtp.rcpt("x@example.org", .local(smtpUser("x"), overQuota: true)).last == "452 4.2.2 Mailbox full")
        #expect(smtp.rcpt("x@elsewhere.net", .remote).last == "550 5.7.1 Relay access denied")
        #expect(smtp.line("DATA") == ["554 5.5.1 No valid recipients"])
        #expect(smtp.session.errorCount == 3)  // unknown, disabled, relay
    }

    @Test func overQuotaCanBePermanent() {
        var smtp = SMTPDriver(smtpConfiguration(overQuotaIsPermanent: true))
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.rcpt("x@example.org", .local(smtpUser("x"), overQuota: true)).last == "552 5.2.2 Mailbox full")
    }

    @Test func localDomainsDecideBeforeTheDirectory() {
        var smtp = SMTPDriver(smtpConfiguration(localDomains: ["Example.ORG"]))
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.line("RCPT TO:<x@elsewhere.net>") == ["550 5.7.1 Relay access denied"])
        #expect(smtp.line("RCPT TO:<x@[192.0.2.1]>") == ["550 5.7.1 Relay access denied"])
        #expect(smtp.line("RCPT TO:<bob@EXAMPLE.org>") == ["check <bob@EXAMPLE.org> from <a@example.net>"])
    }

    @Test func relayOnlyWhenAuthenticatedAndConfigured() {
        // Authenticated but no relay host: denied.
        var noRelay = SMTPDriver(smtpConfiguration(localDomains: ["example.org"]), secure: true)
        _ = noRelay.start()
        noRelay.hello()
        noRelay.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==")
        noRelay.feed(.authenticationResult(.success(user: "alice")))
        noRelay.line("MAIL FROM:<alice@example.org>")
        #expect(noRelay.line("RCPT TO:<x@elsewhere.net>") == ["550 5.7.1 Relay access denied"])

        // Relay host but not authenticated: denied.
        var anonymous = SMTPDriver(smtpConfiguration(localDomains: ["example.org"], relayHost: "smarthost.example.org"))
        _ = anonymous.start()
        anonymous.hello()
        anonymous.line("MAIL FROM:<a@example.net>")
        #expect(anonymous.line("RCPT TO:<x@elsewhere.net>") == ["550 5.7.1 Relay access denied"])

        // Both: relayed, without asking the directory; the directory's .remote is relayed too.
        var relay = SMTPDriver(smtpConfiguration(relayHost: "smarthost.example.org"), secure: true)
        _ = relay.start()
        relay.hello()
        relay.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==")
        relay.feed(.authenticationResult(.success(user: "alice")))
        relay.line("MAIL FROM:<alice@example.org>")
        #expect(relay.rcpt("x@elsewhere.net", .remote) == ["check <x@elsewhere.net> from <alice@example.org>", "250 2.1.5 Ok"])
        relay.rcpt("bob@example.org")
        relay.line("DATA")
        relay.line("hi")
        relay.line(".")
        let envelope = relay.envelope!
        #expect(envelope.recipients.map(\.destination) == [.relay, .local(smtpUser("bob"))])
        #expect(envelope.authenticatedUser == "alice" && envelope.secure)
        #expect(envelope.messageText.contains("with ESMTPSA id 4TESTID"))
    }

    @Test func postmasterWithoutDomain() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<>")
        #expect(smtp.line("RCPT TO:<Postmaster>") == ["check <postmaster@mx.example.org> from <>"])
        #expect(smtp.feed(.recipientChecked(.local(smtpUser("postmaster")))) == ["250 2.1.5 Ok"])
        smtp.line("DATA")
        smtp.line(".")
        #expect(smtp.envelope!.messageText.hasPrefix("Return-Path: <>\r\n"))
        #expect(smtp.envelope!.messageText.contains("\tfor <Postmaster>;"))
    }

    @Test func sourceRoutesAreStripped() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        #expect(smtp.line("MAIL FROM:<@relay.example,@hop.example:a@example.net>") == ["250 2.1.0 Ok"])
        #expect(smtp.line("RCPT TO:<@mx.example.org:bob@example.org>") == ["check <bob@example.org> from <a@example.net>"])
    }

    @Test func smtputf8Addresses() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        #expect(smtp.line("MAIL FROM:<jösé@exämple.net>") == ["553 5.6.7 Non-ASCII address requires SMTPUTF8"])
        #expect(smtp.line("MAIL FROM:<jösé@exämple.net> SMTPUTF8 BODY=8BITMIME") == ["250 2.1.0 Ok"])
        #expect(smtp.line("RCPT TO:<bøb@example.org>") == ["check <bøb@example.org> from <jösé@exämple.net>"])
        smtp.feed(.recipientChecked(.local(smtpUser("bob"))))
        smtp.line("DATA")
        smtp.line(".")
        #expect(smtp.envelope!.smtputf8)
        #expect(smtp.envelope!.messageText.contains("with UTF8SMTP id"))
    }

    // MARK: Delivery outcomes

    @Test func smtpDeliveryOutcomes() {
        func run(_ outcomes: [DeliveryOutcome], recipients: Int = 2) -> [String] {
            var smtp = SMTPDriver()
            _ = smtp.start()
            smtp.hello()
            smtp.line("MAIL FROM:<a@example.net>")
            for index in 0..<recipients { smtp.rcpt("u\(index)@example.org") }
            smtp.line("DATA")
            smtp.line(".")
            return smtp.feed(.delivered(outcomes))
        }
        #expect(run([.delivered, .delivered]) == ["250 2.0.0 Ok: queued as 4TESTID"])
        #expect(run([.overQuota], recipients: 1) == ["452 4.2.2 <u0@example.org> Mailbox full"])
        #expect(run([.delivered, .permanentFailure(nil)])
            == ["554 5.3.0 <u1@example.org> Delivery failed; delivered to the other recipients"])
        #expect(run([.permanentFailure("No such mailbox"), .temporaryFailure(nil)])
            == ["451 4.3.0 <u1@example.org> Temporary delivery failure"])
        #expect(run([.delivered]) == ["451 4.3.0 <u1@example.org> Temporary delivery failure; delivered to the other recipients"])
    }

    // MARK: STARTTLS

    @Test func startTLSResetsTheSession() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.line("STARTTLS now") == ["501 5.5.4 Syntax error, no parameters allowed"])
        #expect(smtp.line("STARTTLS") == ["220 2.0.0 Ready to start TLS", "starttls"])
        #expect(smtp.session.isWaiting)
        // Plaintext pipelined after STARTTLS (command injection) is dropped.
        #expect(smtp.line("RCPT TO:<bob@example.org>") == [])
        #expect(smtp.feed(.tlsStarted) == [])
        #expect(smtp.session.isSecure && !smtp.session.isWaiting)
        #expect(smtp.session.heloName == nil && !smtp.session.inTransaction)
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["503 5.5.1 Send HELO/EHLO first"])
        #expect(smtp.hello() == [
            "250-mx.example.org|250-PIPELINING|250-SIZE 1000|250-AUTH PLAIN LOGIN|250-ENHANCEDSTATUSCODES|250-8BITMIME"
                + "|250-BINARYMIME|250-CHUNKING|250-SMTPUTF8|250 HELP",
        ])
        #expect(smtp.line("STARTTLS") == ["503 5.5.1 TLS already active"])
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("DATA")
        smtp.line(".")
        #expect(smtp.envelope!.messageText.contains("with ESMTPS id"))
    }

    @Test func startTLSWhenUnavailable() {
        var smtp = SMTPDriver(smtpConfiguration(tlsAvailable: false))
        _ = smtp.start()
        #expect(smtp.hello() == [
            "250-mx.example.org|250-PIPELINING|250-SIZE 1000|250-ENHANCEDSTATUSCODES|250-8BITMIME"
                + "|250-BINARYMIME|250-CHUNKING|250-SMTPUTF8|250 HELP",
        ])
        #expect(smtp.line("STARTTLS") == ["502 5.5.1 Command not implemented"])
    }

    @Test func requireTLS() {
        var smtp = SMTPDriver(smtpConfiguration(requireTLS: true))
        _ = smtp.start()
        smtp.hello()
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["530 5.7.0 Must issue a STARTTLS command first"])
        #expect(smtp.line("VRFY bob") == ["530 5.7.0 Must issue a STARTTLS command first"])
        #expect(smtp.line("NOOP") == ["250 2.0.0 Ok"])
        smtp.line("STARTTLS")
        smtp.feed(.tlsStarted)
        smtp.hello()
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["250 2.1.0 Ok"])
    }

    @Test func requireAuthentication() {
        var smtp = SMTPDriver(smtpConfiguration(requireAuthentication: true), secure: true)
        _ = smtp.start()
        smtp.hello()
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["530 5.7.0 Authentication required"])
        smtp.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==")
        smtp.feed(.authenticationResult(.success(user: "alice")))
        #expect(smtp.line("MAIL FROM:<a@example.net>") == ["250 2.1.0 Ok"])
    }

    // MARK: AUTH

    /// A TLS session after EHLO.
    private func secureSession(_ configuration: SMTPSessionConfiguration = smtpConfiguration()) -> SMTPDriver {
        var smtp = SMTPDriver(configuration, secure: true)
        _ = smtp.start()
        smtp.hello()
        return smtp
    }

    @Test func authPlainWithInitialResponse() {
        var smtp = secureSession()
        // "\0alice\0secret"
        #expect(smtp.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == ["authenticate alice secret"])
        #expect(smtp.session.isWaiting)
        #expect(smtp.feed(.authenticationResult(.success(user: "alice"))) == ["235 2.7.0 Authentication successful"])
        #expect(smtp.session.authenticatedUser == "alice")
        #expect(smtp.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == ["503 5.5.1 Already authenticated"])
    }

    @Test func authPlainWithChallengeAndAuthzid() {
        var smtp = secureSession()
        #expect(smtp.line("auth plain") == ["334 "])
        // "alice\0alice\0pw" — an authzid equal to the login is fine.
        #expect(smtp.line("YWxpY2UAYWxpY2UAcHc=") == ["authenticate alice pw"])
        #expect(smtp.feed(.authenticationResult(.failure)) == ["535 5.7.8 Authentication credentials invalid"])
        #expect(smtp.session.authenticatedUser == nil)
        // "bob\0alice\0pw" — acting as someone else is refused without asking.
        #expect(smtp.line("AUTH PLAIN Ym9iAGFsaWNlAHB3") == ["535 5.7.8 Authentication credentials invalid"])
        #expect(smtp.line("AUTH PLAIN =") == ["535 5.7.8 Authentication credentials invalid"])
    }

    @Test func authLogin() {
        var smtp = secureSession()
        #expect(smtp.line("AUTH LOGIN") == ["334 VXNlcm5hbWU6"])
        #expect(smtp.line("YWxpY2U=") == ["334 UGFzc3dvcmQ6"])
        #expect(smtp.line("c2VjcmV0") == ["authenticate alice secret"])
        #expect(smtp.feed(.authenticationResult(.temporaryFailure)) == ["454 4.7.0 Temporary authentication failure"])
        // With the user name as initial response.
        #expect(smtp.line("AUTH LOGIN YWxpY2U=") == ["334 UGFzc3dvcmQ6"])
        #expect(smtp.line("c2VjcmV0") == ["authenticate alice secret"])
        #expect(smtp.feed(.authenticationResult(.success(user: "alice"))) == ["235 2.7.0 Authentication successful"])
    }

    @Test func authCancelAndGarbage() {
        var smtp = secureSession()
        smtp.line("AUTH LOGIN")
        #expect(smtp.line("*") == ["501 5.0.0 Authentication cancelled"])
        #expect(smtp.line("NOOP") == ["250 2.0.0 Ok"])
        smtp.line("AUTH PLAIN")
        #expect(smtp.line("not base64!") == ["501 5.5.2 Cannot decode response"])
        smtp.line("AUTH LOGIN")
        smtp.line("YWxpY2U=")
        #expect(smtp.line("*") == ["501 5.0.0 Authentication cancelled"])
        smtp.line("AUTH PLAIN")
        #expect(smtp.feed(.lineTooLong) == ["500 5.5.6 Authentication exchange line is too long"])
        #expect(smtp.line("AUTH CRAM-MD5") == ["504 5.5.4 Unrecognized authentication mechanism"])
        #expect(smtp.line("AUTH") == ["501 5.5.4 Syntax: AUTH mechanism [initial-response]"])
        smtp.line("MAIL FROM:<a@example.net>")
        #expect(smtp.line("AUTH PLAIN") == ["503 5.5.1 AUTH not permitted during a mail transaction"])
    }

    @Test func plaintextAuthIsRefused() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        #expect(smtp.hello() == ehloPlain)  // no AUTH advertised
        #expect(smtp.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == ["538 5.7.11 Encryption required for requested authentication mechanism"])

        var allowed = SMTPDriver(smtpConfiguration(tlsAvailable: false, allowPlaintextAuthentication: true))
        _ = allowed.start()
        #expect(allowed.hello().first!.contains("250-AUTH PLAIN LOGIN"))
        #expect(allowed.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == ["authenticate alice secret"])
        allowed.feed(.authenticationResult(.success(user: "alice")))
        allowed.line("MAIL FROM:<a@example.net>")
        allowed.rcpt("bob@example.org")
        allowed.line("DATA")
        allowed.line(".")
        #expect(allowed.envelope!.messageText.contains("with ESMTPA id"))
    }

    // MARK: BDAT

    @Test func bdatInSeveralChunks() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net> BODY=BINARYMIME")
        smtp.rcpt("bob@example.org")
        #expect(smtp.line("BDAT 12") == [])
        #expect(smtp.session.inputMode == .chunk(remaining: 12))
        #expect(smtp.chunk("Subject: ") == [])
        #expect(smtp.session.inputMode == .chunk(remaining: 3))
        #expect(smtp.chunk("x\r\n") == ["250 2.0.0 Ok: 12 octets received"])
        #expect(smtp.session.inputMode == .line)
        #expect(smtp.line("BDAT 0") == ["250 2.0.0 Ok: 0 octets received"])
        #expect(smtp.line("DATA") == ["503 5.5.1 DATA not allowed after BDAT"])
        #expect(smtp.line("bdat 9 last") == [])
        #expect(smtp.chunk("\r\n.\r\n\u{0}\n.x") == ["deliver 4TESTID to bob@example.org"])
        let envelope = smtp.envelope!
        #expect(envelope.bodyType == .binaryMIME)
        #expect(envelope.messageText.hasSuffix("+0000\r\nSubject: x\r\n\r\n.\r\n\u{0}\n.x"))  // raw: no unstuffing
        #expect(smtp.feed(.delivered([.delivered])) == ["250 2.0.0 Ok: queued as 4TESTID"])
        #expect(!smtp.session.inTransaction)
    }

    @Test func bdatZeroLast() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        #expect(smtp.line("BDAT 0 LAST") == ["deliver 4TESTID to bob@example.org"])
    }

    @Test func bdatRefusedStillConsumesItsChunk() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        #expect(smtp.line("BDAT 6") == [])
        #expect(smtp.session.inputMode == .chunk(remaining: 6))
        #expect(smtp.chunk("QUIT\r") == [])
        #expect(smtp.chunk("\n") == ["503 5.5.1 Need MAIL command"])
        #expect(smtp.line("BDAT x") == ["501 5.5.4 Syntax: BDAT size [LAST]"])
        #expect(smtp.session.inputMode == .line)
        #expect(smtp.line("BDAT 5 FIRST") == ["501 5.5.4 Syntax: BDAT size [LAST]"])
        #expect(smtp.line("BDAT 99999999999999999999") == ["501 5.5.4 Syntax: BDAT size [LAST]"])
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("x@example.org", .unknown)
        #expect(smtp.line("BDAT 2 LAST") == [])
        #expect(smtp.chunk("hi") == ["554 5.5.1 No valid recipients"])
    }

    @Test func bdatTooBigFailsTheTransaction() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("BDAT 600")
        #expect(smtp.chunk(String(repeating: "a", count: 600)) == ["250 2.0.0 Ok: 600 octets received"])
        smtp.line("BDAT 500")
        #expect(smtp.chunk(String(repeating: "a", count: 500)) == ["552 5.3.4 Message size exceeds fixed maximum message size"])
        #expect(!smtp.session.inTransaction)
        smtp.line("BDAT 1 LAST")
        #expect(smtp.chunk("a") == ["503 5.5.1 Need MAIL command"])
    }

    @Test func binaryMIMENeedsBDATAndChunking() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net> BODY=BINARYMIME")
        smtp.rcpt("bob@example.org")
        #expect(smtp.line("DATA") == ["503 5.5.1 BINARYMIME requires BDAT"])

        var noChunking = SMTPDriver(smtpConfiguration(chunking: false))
        _ = noChunking.start()
        #expect(!noChunking.hello()[0].contains("CHUNKING"))
        #expect(noChunking.line("MAIL FROM:<a@example.net> BODY=BINARYMIME") == ["501 5.5.4 Bad BODY parameter"])
        #expect(noChunking.line("BDAT 3 LAST") == ["502 5.5.1 Command not implemented"])
        #expect(noChunking.session.inputMode == .line)
    }

    @Test func chunkWithMoreBytesThanAnnouncedOnlyTakesItsShare() {
        var smtp = SMTPDriver()
        _ = smtp.start()
        smtp.hello()
        smtp.line("MAIL FROM:<a@example.net>")
        smtp.rcpt("bob@example.org")
        smtp.line("BDAT 2 LAST")
        #expect(smtp.chunk("abcdef") == ["deliver 4TESTID to bob@example.org"])
        #expect(smtp.envelope!.messageText.hasSuffix("+0000\r\nab"))
    }

    // MARK: LMTP

    @Test func lmtpRepliesPerRecipient() {
        var lmtp = SMTPDriver(smtpConfiguration(mode: .lmtp, tlsAvailable: false), peer: "2001:db8::25")
        #expect(lmtp.start() == ["220 mx.example.org LMTP Shoal"])
        #expect(lmtp.line("HELO x") == ["500 5.5.1 Use LHLO in LMTP"])
        #expect(lmtp.line("EHLO x") == ["500 5.5.1 Use LHLO in LMTP"])
        #expect(lmtp.line("MAIL FROM:<a@example.net>") == ["503 5.5.1 Send LHLO first"])
        #expect(lmtp.line("LHLO mta.example.org") == [
            "250-mx.example.org|250-PIPELINING|250-SIZE 1000|250-ENHANCEDSTATUSCODES|250-8BITMIME"
                + "|250-BINARYMIME|250-CHUNKING|250-SMTPUTF8|250 HELP",
        ])
        #expect(lmtp.line("AUTH PLAIN") == ["502 5.5.1 Command not implemented"])
        lmtp.line("MAIL FROM:<a@example.net>")
        lmtp.rcpt("bob@example.org")
        lmtp.rcpt("x@example.org", .unknown)
        lmtp.rcpt("carol@example.org", .local(smtpUser("carol")))
        lmtp.rcpt("bob@example.org")  // LMTP keeps duplicates: one reply each
        lmtp.line("DATA")
        lmtp.line("hi")
        #expect(lmtp.line(".") == ["deliver 4TESTID to bob@example.org,carol@example.org,bob@example.org"])
        #expect(lmtp.envelope!.messageText.hasPrefix("""
            Return-Path: <a@example.net>\r
            Received: from mta.example.org ([IPv6:2001:db8::25])\r
            \tby mx.example.org (Shoal) with LMTP id 4TESTID;\r
            \tTue, 14 Nov 2023 22:13:20 +0000\r
            hi\r

            """))
        #expect(lmtp.feed(.delivered([.delivered, .overQuota, .temporaryFailure("Disk full")])) == [
            "250 2.0.0 <bob@example.org> Ok: delivered as 4TESTID",
            "452 4.2.2 <carol@example.org> Mailbox full",
            "451 4.3.0 <bob@example.org> Disk full",
        ])
        #expect(!lmtp.session.isWaiting)
    }

    @Test func lmtpFailedMessageGetsOneReplyPerRecipient() {
        var lmtp = SMTPDriver(smtpConfiguration(mode: .lmtp, maximumMessageSize: 10))
        _ = lmtp.start()
        lmtp.hello()
        lmtp.line("MAIL FROM:<a@example.net>")
        lmtp.rcpt("bob@example.org")
        lmtp.rcpt("carol@example.org", .local(smtpUser("carol")))
        lmtp.line("DATA")
        lmtp.line("more than ten octets")
        #expect(lmtp.line(".") == [
            "552 5.3.4 Message size exceeds fixed maximum message size",
            "552 5.3.4 Message size exceeds fixed maximum message size",
        ])
        lmtp.line("MAIL FROM:<a@example.net>")
        lmtp.rcpt("bob@example.org")
        lmtp.rcpt("carol@example.org", .local(smtpUser("carol")))
        lmtp.line("BDAT 11 LAST")
        #expect(lmtp.chunk("01234567890").count == 2)
    }

    @Test func lmtpBDATLastRepliesPerRecipient() {
        var lmtp = SMTPDriver(smtpConfiguration(mode: .lmtp))
        _ = lmtp.start()
        lmtp.hello()
        lmtp.line("MAIL FROM:<a@example.net>")
        lmtp.rcpt("bob@example.org")
        lmtp.rcpt("carol@example.org", .local(smtpUser("carol")))
        lmtp.line("BDAT 4 LAST")
        lmtp.chunk("hi\r\n")
        #expect(lmtp.feed(.delivered([.delivered, .permanentFailure(nil)])) == [
            "250 2.0.0 <bob@example.org> Ok: delivered as 4TESTID",
            "554 5.3.0 <carol@example.org> Delivery failed",
        ])
    }

    // MARK: Robustness

    @Test func randomGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 7)
        let words = ["EHLO x", "HELO", "MAIL FROM:<a@b.c>", "RCPT TO:<d@e.f>", "DATA", ".", "BDAT 3", "BDAT 2 LAST",
                     "RSET", "AUTH PLAIN", "AUTH LOGIN", "*", "STARTTLS", "LHLO y", "QUIT", "NOOP", "=", "AGFAYg=="]
        for round in 0..<300 {
            let mode: SMTPSessionConfiguration.Mode = round % 3 == 0 ? .lmtp : .smtp
            var session = SMTPSession(
                configuration: smtpConfiguration(mode: mode, maximumErrors: Int.random(in: 1...50, using: &rng),
                                                 allowPlaintextAuthentication: round % 2 == 0),
                peer: "198.51.100.\(round % 256)", secure: round % 4 == 0)
            var actions = session.start()
            for _ in 0..<60 {
                for action in actions {
                    if case let .reply(reply) = action {
                        let text = reply.rendered()
                        #expect((200...599).contains(reply.code) && text.hasSuffix("\r\n"))
                        #expect(!reply.description.contains("\r\n") || reply.lines.count > 1)
                    }
                }
                let input: SMTPInput
                switch Int.random(in: 0..<12, using: &rng) {
                case 0..<4:
                    let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    input = session.inputMode == .line ? .line(ByteBuffer(bytes: bytes)) : .chunk(ByteBuffer(bytes: bytes))
                case 4..<8: input = .line(ByteBuffer(string: words.randomElement(using: &rng)!))
                case 8: input = .lineTooLong
                case 9:
                    input = [SMTPInput.recipientChecked(.local(smtpUser("u"), overQuota: Bool.random(using: &rng))),
                             .recipientChecked(.remote), .recipientChecked(.unknown), .tlsStarted,
                             .authenticationResult(.success(user: "u")), .authenticationResult(.failure),
                             .delivered([.delivered, .overQuota])].randomElement(using: &rng)!
                case 10: input = .chunk(ByteBuffer(string: "xyz"))
                default: input = [SMTPInput.timeout, .eof, .shutdown, .delivered([])].randomElement(using: &rng)!
                }
                actions = session.receive(input)
                if session.isClosed { break }
            }
        }
    }

    @Test func garbageBytesThroughTheDecoderIntoTheSession() {
        // The way the glue runs: decoder output fed while the session is not waiting.
        var rng = SplitMix64(seed: 99)
        for _ in 0..<100 {
            var session = SMTPSession(configuration: smtpConfiguration(maximumErrors: 1000), peer: "192.0.2.1", secure: false)
            _ = session.start()
            var decoder = CRLFLineDecoder(maximumLineLength: 64)
            var buffer = ByteBuffer()
            for _ in 0..<20 {
                var bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if Bool.random(using: &rng) { bytes += Array("EHLO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 7\r\n".utf8) }
                buffer.writeBytes(bytes)
                while !session.isClosed {
                    if session.isWaiting {
                        // Answer whatever is pending.
                        _ = session.receive(.recipientChecked(.local(smtpUser("d"))))
                        _ = session.receive(.authenticationResult(.failure))
                        _ = session.receive(.delivered([.delivered]))
                        _ = session.receive(.tlsStarted)
                        continue
                    }
                    if case let .chunk(remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
                    guard let item = decoder.decode(buffer: &buffer) else { break }
                    _ = session.receive(SMTPInput(item))
                }
            }
        }
    }
}
