import MailAccess
@testable import MailDirector
import NIOCore
import Testing

/// The IMAP pre-login session without sockets: what it answers, when it routes, what it passes on.
@Suite struct IMAPProxySessionTests {
    static func session(plaintext: Bool = true, tls: Bool = false) -> Driven<IMAPProxySession> {
        Driven(IMAPProxySession(configuration: configuration(MailProxyConfiguration.shoalIMAPCapabilities, plaintext: plaintext, tls: tls)))
    }

    @Test func greetsWithTheNodesCapabilitiesAndAnswersCapabilityNoopIdLogout() {
        var s = Self.session(tls: true)
        #expect(s.sent.first?.hasPrefix("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR") == true)
        #expect(s.sent.first?.contains("STARTTLS AUTH=PLAIN] director.test") == true)
        let capability = s.line("a CAPABILITY")
        #expect(capability.hasPrefix("* CAPABILITY IMAP4rev1") && capability.hasSuffix("a OK Capability completed.\r\n"))
        #expect(s.line("b NOOP") == "b OK NOOP completed.\r\n")
        #expect(s.line("c ID (\"name\" \"mutt\")").hasSuffix("c OK ID completed.\r\n"))
        #expect(s.line("d LOGOUT") == "* BYE Logging out.\r\nd OK Logout completed.\r\n")
        #expect(s.closed && s.routed.isEmpty)
    }

    @Test func loginRoutesAndTheNodesAnswerGoesOutBeforeTheSplice() {
        var s = Self.session()
        #expect(s.line("a1 LOGIN Alice \"secret pw\"") == "")
        #expect(s.routed == [MailLogin(user: "Alice", password: "secret pw")])
        #expect(s.session.isRouting)
        #expect(s.line("a2 SELECT INBOX") == "", "input while routing is the node's")
        let answer = s.event(.routed(.accepted("OK [CAPABILITY IMAP4rev1 IDLE] Logged in.")))
        #expect(answer == "a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in.\r\n")
        #expect(s.spliced && s.session.isClosed)
    }

    @Test func loginWithLiteralsAsksForThemAndRoutes() {
        var s = Self.session()
        #expect(s.line("a LOGIN {5}") == "+ Ready for literal data\r\n")
        #expect(s.session.inputMode == .chunk(remaining: 5))
        #expect(s.chunk("alice") == "")
        #expect(s.line(" {4+}") == "")
        #expect(s.chunk("p\"w ") == "")
        s.line("")
        #expect(s.routed == [MailLogin(user: "alice", password: "p\"w ")])
    }

    @Test func authenticatePlainWithAndWithoutInitialResponse() {
        let response = SASLBase64.encode(Array("\0bob\0pw".utf8))
        var s = Self.session()
        s.line("a AUTHENTICATE PLAIN \(response)")
        #expect(s.routed == [MailLogin(user: "bob", password: "pw")])
        var t = Self.session()
        #expect(t.line("b AUTHENTICATE PLAIN") == "+ \r\n")
        t.line(response)
        #expect(t.routed == [MailLogin(user: "bob", password: "pw")])
        var u = Self.session()
        u.line("c AUTHENTICATE PLAIN")
        #expect(u.line("*") == "c BAD Authentication cancelled.\r\n")
        #expect(u.line("d AUTHENTICATE PLAIN !!!notbase64").hasPrefix("d BAD "))
        #expect(u.line("d2 AUTHENTICATE PLAIN \(SASLBase64.encode(Array("nonul".utf8)))") == "d2 BAD Invalid SASL PLAIN response.\r\n")
        #expect(u.line("e AUTHENTICATE CRAM-MD5") == "e NO [CANNOT] Unsupported authentication mechanism.\r\n")
        #expect(u.routed.isEmpty)
    }

    @Test func refusedAndUnavailableLoginsAnswerNoAndTheSessionGoesOn() {
        var s = Self.session()
        s.line("a LOGIN alice wrong")
        #expect(s.event(.routed(.refused("[AUTHENTICATIONFAILED] Authentication failed."))) == "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        s.line("b LOGIN alice wrong")
        #expect(s.event(.routed(.unavailable)).hasPrefix("b NO [UNAVAILABLE]"))
        s.line("c LOGIN alice wrong")
        #expect(s.event(.routed(.refused("bad"))) == "c NO [AUTHENTICATIONFAILED] bad\r\n")
        #expect(!s.closed)
        s.line("d LOGIN alice wrong")
        let last = s.event(.routed(.refused("no")))
        #expect(last.hasSuffix("* BYE Too many failed logins.\r\n") && s.closed, "three refusals end the session")
        #expect(!s.spliced)
    }

    @Test func plaintextLoginIsRefusedWithoutTLSWhenNotAllowed() {
        var s = Self.session(plaintext: false, tls: true)
        #expect(s.sent.first?.contains("LOGINDISABLED") == true)
        #expect(s.line("a LOGIN alice pw").hasPrefix("a NO [PRIVACYREQUIRED]"))
        #expect(s.line("b STARTTLS") == "b OK Begin TLS negotiation now.\r\n" && s.tlsStarted)
        s.event(.tlsStarted)
        #expect(s.line("c CAPABILITY").contains("AUTH=PLAIN"))
        #expect(!s.line("c2 CAPABILITY").contains("STARTTLS"))
        s.line("d LOGIN alice pw")
        #expect(s.routed == [MailLogin(user: "alice", password: "pw")])
    }

    @Test func malformedInputGetsBadAndTooMuchOfItEndsTheSession() {
        var s = Self.session()
        #expect(s.line("").hasPrefix("* BAD"))
        #expect(s.line("a SELECT INBOX") == "a BAD Log in first.\r\n")
        #expect(s.line("b FROB").hasPrefix("b BAD"))
        #expect(s.line("b LOGIN onlyone").hasPrefix("b BAD"))
        #expect(s.event(.lineTooLong) == "* BAD [TOOBIG] Command line too long.\r\n")
        #expect(s.line("c STARTTLS") == "c BAD TLS is not available here.\r\n")
        for n in 0..<4 { s.line("x\(n) \u{1}") }
        #expect(s.sent.last == "* BYE Too many invalid commands.\r\n" && s.closed)
        #expect(s.routed.isEmpty)
    }

    @Test func anOversizedLiteralIsRefusedBeforeAnythingIsAllocated() {
        var s = Self.session()
        let answer = s.line("a LOGIN {100000000}")
        #expect(answer.hasPrefix("a BAD") || answer.hasPrefix("a NO"), "\(answer)")
        #expect(s.session.inputMode == .line)
        let plus = s.line("b LOGIN {100000000+}")
        #expect(plus.hasPrefix("b BAD") || plus.hasPrefix("b NO") && s.closed, "\(plus)")
    }

    @Test func timeoutSaysByeAndCloses() {
        var s = Self.session()
        #expect(s.event(.timeout) == "* BYE Disconnected for inactivity.\r\n" && s.closed)
    }

    @Test func randomGarbageNeverRoutesNorTraps() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var s = Self.session()
            for _ in 0..<12 where !s.closed {
                let length = Int.random(in: 0..<80, using: &generator)
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }.filter { $0 != 10 && $0 != 13 }
                if case let .chunk(remaining) = s.session.inputMode {
                    s.take(s.session.receive(.chunk(ByteBuffer(bytes: bytes.prefix(remaining)))))
                } else {
                    s.take(s.session.receive(.line(ByteBuffer(bytes: bytes))))
                }
            }
            for text in s.sent.dropFirst() {
                #expect(text.hasPrefix("* BAD") || text.contains(" BAD ") || text.hasPrefix("+ ") || text.hasPrefix("* BYE") || text.contains(" NO "),
                        "unexpected answer to garbage: \(text)")
            }
        }
    }
}
