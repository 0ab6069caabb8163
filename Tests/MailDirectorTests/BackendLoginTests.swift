import MailAccess
@testable import MailDirector
import Testing

/// The replayed logins, as a node sees them.
@Suite struct BackendLoginTests {
    static let login = MailLogin(user: "alice", password: "p w\"")
    static let plain = SASLBase64.encode(Array("\0alice\0p w\"".utf8))

    @Test func imapPipelinesAuthenticatePlainBeforeTheGreetingAndReadsTheTaggedAnswer() {
        var c = IMAPBackendLogin(login: Self.login)
        #expect(c.start() == ["D1 AUTHENTICATE PLAIN \(Self.plain)"])
        #expect(c.receive("* OK [CAPABILITY IMAP4rev1] node1 Shoal IMAP ready.") == .send([]))
        #expect(c.receive("* CAPABILITY IMAP4rev1 IDLE") == .send([]))
        #expect(c.receive("D1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in.") == .finished(.accepted("OK [CAPABILITY IMAP4rev1 IDLE] Logged in.")))
        var refused = IMAPBackendLogin(login: Self.login)
        _ = refused.receive("* OK ready")
        #expect(refused.receive("D1 NO [AUTHENTICATIONFAILED] Authentication failed.")
            == .finished(.refused("[AUTHENTICATIONFAILED] Authentication failed.")))
        // Status words in any case; anything else (BAD, a word that merely starts alike) is no login.
        var lower = IMAPBackendLogin(login: Self.login)
        _ = lower.receive("* OK ready")
        #expect(lower.receive("D1 ok Logged in.") == .finished(.accepted("ok Logged in.")))
        var lowerNo = IMAPBackendLogin(login: Self.login)
        _ = lowerNo.receive("* OK ready")
        #expect(lowerNo.receive("D1 No bad") == .finished(.refused("bad")))
        var bad = IMAPBackendLogin(login: Self.login)
        _ = bad.receive("* OK ready")
        #expect(bad.receive("D1 BAD what") == .finished(.unavailable))
        var nope = IMAPBackendLogin(login: Self.login)
        _ = nope.receive("* OK ready")
        #expect(nope.receive("D1 NOPE") == .finished(.unavailable))
    }

    @Test func imapGivesUpOnAByeGreetingOrAContinuation() {
        var bye = IMAPBackendLogin(login: Self.login)
        #expect(bye.receive("* BYE too busy") == .finished(.unavailable))
        var plus = IMAPBackendLogin(login: Self.login)
        _ = plus.receive("* OK ready")
        #expect(plus.receive("+ ") == .finished(.unavailable))
    }

    @Test func pop3SendsAuthPlainAndReadsOkOrErr() {
        var c = POP3BackendLogin(login: Self.login)
        #expect(c.receive("+OK node ready") == .send(["AUTH PLAIN \(Self.plain)"]))
        #expect(c.receive("+OK Logged in.") == .finished(.accepted("+OK Logged in.")))
        var refused = POP3BackendLogin(login: Self.login)
        _ = refused.receive("+OK")
        #expect(refused.receive("-ERR [AUTH] Authentication failed.") == .finished(.refused(" [AUTH] Authentication failed.")))
        var busy = POP3BackendLogin(login: Self.login)
        #expect(busy.receive("-ERR go away") == .finished(.unavailable))
    }

    @Test func submissionSaysEhloThenAuthPlain() {
        var c = SubmissionBackendLogin(login: Self.login, hostname: "director.test")
        #expect(c.receive("220-node ESMTP") == .send([]))
        #expect(c.receive("220 node ESMTP") == .send(["EHLO director.test"]))
        #expect(c.receive("250-node") == .send([]))
        #expect(c.receive("250 AUTH PLAIN") == .send(["AUTH PLAIN \(Self.plain)"]))
        #expect(c.receive("235 2.7.0 Authentication successful") == .finished(.accepted("235 2.7.0 Authentication successful")))
        var refused = SubmissionBackendLogin(login: Self.login, hostname: "d")
        _ = refused.receive("220 node")
        _ = refused.receive("250 node")
        #expect(refused.receive("535 5.7.8 bad") == .finished(.refused("535 5.7.8 bad")))
        var down = SubmissionBackendLogin(login: Self.login, hostname: "d")
        #expect(down.receive("421 shutting down") == .finished(.unavailable))
    }
}
