import MailAccess
@testable import MailDirector
import NIOCore
import Testing

/// The POP3 and submission pre-login sessions without sockets.
@Suite struct POP3AndSubmissionProxySessionTests {
    static func pop3(plaintext: Bool = true, tls: Bool = false) -> Driven<POP3ProxySession> {
        Driven(POP3ProxySession(configuration: configuration(MailProxyConfiguration.shoalPOP3Capabilities, plaintext: plaintext, tls: tls)))
    }

    static func submission(plaintext: Bool = true, tls: Bool = false) -> Driven<SubmissionProxySession> {
        Driven(SubmissionProxySession(configuration: configuration(MailProxyConfiguration.shoalSubmissionCapabilities, plaintext: plaintext, tls: tls)))
    }

    @Test func pop3UserPassRoutesAndPassesTheNodesOk() {
        var s = Self.pop3(tls: true)
        #expect(s.sent.first == "+OK director.test Shoal mail director ready.\r\n")
        let capa = s.line("CAPA")
        #expect(capa.hasPrefix("+OK Capability list follows\r\nCAPA\r\nTOP\r\nUIDL") && capa.contains("SASL PLAIN") && capa.contains("STLS")
            && capa.hasSuffix(".\r\n"))
        #expect(s.line("PASS x") == "-ERR USER first.\r\n")
        #expect(s.line("USER alice") == "+OK\r\n")
        #expect(s.line("PASS secret") == "")
        #expect(s.routed == [MailLogin(user: "alice", password: "secret")])
        #expect(s.event(.routed(.accepted("+OK Logged in."))) == "+OK Logged in.\r\n" && s.spliced)
    }

    @Test func pop3AuthPlainRefusalAndGarbage() {
        var s = Self.pop3()
        #expect(s.line("AUTH PLAIN") == "+ \r\n")
        s.line(SASLBase64.encode(Array("\0bob\0pw".utf8)))
        #expect(s.routed == [MailLogin(user: "bob", password: "pw")])
        #expect(s.event(.routed(.refused(" [AUTH] Authentication failed."))) == "-ERR [AUTH] Authentication failed.\r\n")
        #expect(s.line("STAT") == "-ERR Log in first.\r\n")
        #expect(s.line("FROB").hasPrefix("-ERR Unknown command"))
        #expect(s.event(.lineTooLong) == "-ERR Line too long.\r\n")
        #expect(s.line("QUIT") == "+OK Bye.\r\n" && s.closed)
    }

    @Test func pop3RefusesPlaintextWithoutTLS() {
        var s = Self.pop3(plaintext: false, tls: true)
        #expect(s.line("USER alice").hasPrefix("-ERR [AUTH]"))
        #expect(s.line("STLS") == "+OK Begin TLS negotiation now.\r\n" && s.tlsStarted)
        s.event(.tlsStarted)
        #expect(s.line("USER alice") == "+OK\r\n")
    }

    @Test func submissionEhloAuthAndTheNodesAnswer() {
        var s = Self.submission(tls: true)
        #expect(s.sent.first == "220 director.test ESMTP Shoal mail director\r\n")
        #expect(s.line("AUTH PLAIN") == "503 5.5.1 EHLO first\r\n")
        let ehlo = s.line("EHLO client.example")
        #expect(ehlo.hasPrefix("250-director.test\r\n250-PIPELINING") && ehlo.contains("250-STARTTLS\r\n") && ehlo.hasSuffix("250 AUTH PLAIN\r\n"))
        #expect(s.line("MAIL FROM:<a@b.example>") == "530 5.7.0 Authentication required\r\n")
        s.line("AUTH PLAIN \(SASLBase64.encode(Array("\0carol\0pw".utf8)))")
        #expect(s.routed == [MailLogin(user: "carol", password: "pw")])
        #expect(s.event(.routed(.refused("535 5.7.8 no"))) == "535 5.7.8 Authentication credentials invalid\r\n")
        s.line("AUTH PLAIN")
        s.line(SASLBase64.encode(Array("\0carol\0pw2".utf8)))
        #expect(s.event(.routed(.accepted("235 2.7.0 Authentication successful"))) == "235 2.7.0 Authentication successful\r\n" && s.spliced)
    }

    @Test func submissionGarbageGetsFiveHundredsAndEnds() {
        var s = Self.submission()
        #expect(s.line("\u{7f}\u{1}").hasPrefix("5"))
        #expect(s.line("STARTTLS") == "502 5.5.1 TLS is not available here\r\n")
        for _ in 0..<8 { s.line("BOGUS") }
        #expect(s.closed && s.sent.last == "421 4.7.0 Too many errors\r\n")
        #expect(s.routed.isEmpty)
    }
}
