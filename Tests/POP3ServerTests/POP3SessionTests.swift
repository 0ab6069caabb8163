import Directory
import MailAccess
import MailStore
import NIOCore
import POP3Server
import Testing

/// The pure session: states, replies and the work it asks for.
@Suite struct POP3SessionTests {
    static func message(_ uid: UInt32, size: Int) -> POP3Message {
        let stored = StoredMessage(uid: uid, filename: "m\(uid)", path: "/m/cur/m\(uid)", size: UInt64(size), virtualSize: UInt64(size),
                                   flags: [], keywords: [], isNew: false)
        return POP3Message(stored: stored, size: size, uidl: POP3Message.uidl(uid: uid, uidValidity: 7))
    }

    static let alice = DirectoryUser(login: "alice", addresses: ["alice@shoal.test"])

    /// Feeds a line and returns the replies (work actions as `<work>` markers).
    static func send(_ session: inout POP3Session, _ line: String) -> [String] {
        render(session.receive(.line(ByteBuffer(string: line))))
    }

    static func render(_ actions: [POP3Action]) -> [String] {
        actions.map { action in
            switch action {
            case let .reply(text): text
            case let .send(bytes): "<bytes \(bytes.readableBytes)>"
            case let .authenticate(login, password): "<authenticate \(login) \(password)>"
            case let .open(user): "<open \(user.login)>"
            case let .retrieve(message, lines, following):
                "<retrieve \(message.uid) \(lines.map(String.init) ?? "all")\(following.isEmpty ? "" : " then \(following.map(\.uid))")>"
            case let .commit(messages): "<commit \(messages.map(\.uid))>"
            case .startTLS: "<starttls>"
            case .close: "<close>"
            }
        }
    }

    /// A session logged in with three messages (sizes 100, 200, 300).
    static func loggedIn() -> POP3Session {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "pop.test", implicitTLS: true))
        _ = session.start()
        _ = send(&session, "USER alice")
        _ = send(&session, "PASS pw")
        _ = session.receive(.authenticated(.success(alice)))
        _ = session.receive(.opened(.opened(POP3Maildrop(messages: [message(1, size: 100), message(2, size: 200), message(3, size: 300)]))))
        return session
    }

    @Test func loginOpensTheMaildrop() {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "pop.test", implicitTLS: true))
        #expect(Self.render(session.start()) == ["+OK pop.test Shoal POP3 ready."])
        #expect(Self.send(&session, "PASS early") == ["-ERR No user name given (USER first)."])
        #expect(Self.send(&session, "USER alice") == ["+OK"])
        #expect(Self.send(&session, "PASS pw") == ["<authenticate alice pw>"])
        #expect(session.isWaiting)
        #expect(Self.render(session.receive(.authenticated(.success(Self.alice)))) == ["<open alice>"])
        #expect(Self.render(session.receive(.opened(.inUse))) == ["-ERR [IN-USE] Mailbox is locked by another POP3 session."])
        #expect(!session.isWaiting)
    }

    @Test func failedAndTemporaryLoginsSayWhich() {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "pop.test", implicitTLS: true))
        _ = Self.send(&session, "USER alice")
        _ = Self.send(&session, "PASS bad")
        #expect(Self.render(session.receive(.authenticated(.failure))) == ["-ERR [AUTH] Authentication failed."])
        _ = Self.send(&session, "USER alice")
        _ = Self.send(&session, "PASS pw")
        #expect(Self.render(session.receive(.authenticated(.temporaryFailure))) == ["-ERR [SYS/TEMP] Temporary authentication failure."])
    }

    @Test func plaintextIsRefusedUntilTLSAndSTLSIsOffered() {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "pop.test", tlsAvailable: true))
        let capa = Self.send(&session, "CAPA").joined()
        #expect(capa.contains("STLS") && !capa.contains("USER") && !capa.contains("SASL"))
        #expect(Self.send(&session, "USER alice") == ["-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."])
        #expect(Self.send(&session, "AUTH PLAIN AGFsaWNlAHB3") == ["-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."])
        #expect(Self.send(&session, "STLS") == ["+OK Begin TLS negotiation now.", "<starttls>"])
        _ = session.receive(.tlsStarted)
        let after = Self.send(&session, "CAPA").joined()
        #expect(after.contains("USER") && after.contains("SASL PLAIN LOGIN") && !after.contains("STLS"))
        #expect(Self.send(&session, "STLS") == ["-ERR TLS is not available here."])
    }

    @Test func saslPlainAndLoginRunTheirExchanges() {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "pop.test", implicitTLS: true))
        #expect(Self.send(&session, "AUTH") == ["+OK\r\nPLAIN\r\nLOGIN\r\n."])
        #expect(Self.send(&session, "AUTH PLAIN") == ["+ "])
        #expect(Self.send(&session, SASLBase64.encode("\0alice\0pw".utf8)) == ["<authenticate alice pw>"])
        _ = session.receive(.authenticated(.failure))
        #expect(Self.send(&session, "AUTH LOGIN") == ["+ VXNlcm5hbWU6"])
        #expect(Self.send(&session, "*") == ["-ERR Authentication cancelled."])
        #expect(Self.send(&session, "AUTH CRAM-MD5") == ["-ERR Unsupported authentication mechanism."])
    }

    @Test func transactionListsRetrievesAndMarks() {
        var session = Self.loggedIn()
        #expect(Self.send(&session, "STAT") == ["+OK 3 600"])
        #expect(Self.send(&session, "LIST") == ["+OK 3 messages\r\n1 100\r\n2 200\r\n3 300\r\n."])
        #expect(Self.send(&session, "LIST 2") == ["+OK 2 200"])
        #expect(Self.send(&session, "LIST 4") == ["-ERR There's no message 4."])
        #expect(Self.send(&session, "UIDL 1") == ["+OK 1 0000000100000007"])
        #expect(Self.send(&session, "RETR 2") == ["<retrieve 2 all then [3]>"])
        #expect(Self.render(session.receive(.retrieved(ByteBuffer(string: "x\r\n.\r\n")))) == ["+OK 200 octets", "<bytes 6>"])
        #expect(Self.send(&session, "TOP 3 5") == ["<retrieve 3 5>"])
        #expect(Self.render(session.receive(.retrieved(nil))) == ["-ERR Message 3 was removed by another session."])
        #expect(Self.send(&session, "DELE 1") == ["+OK Marked to be deleted."])
        #expect(Self.send(&session, "DELE 1") == ["-ERR Message is deleted."])
        #expect(Self.send(&session, "RETR 1") == ["-ERR Message is deleted."])
        #expect(Self.send(&session, "STAT") == ["+OK 2 500"])
        #expect(Self.send(&session, "LIST") == ["+OK 2 messages\r\n2 200\r\n3 300\r\n."])
        #expect(Self.send(&session, "RSET") == ["+OK"])
        #expect(Self.send(&session, "STAT") == ["+OK 3 600"])
        // The messages read ahead after a RETR are the next ones not deleted; none after the last.
        _ = Self.send(&session, "DELE 2")
        #expect(Self.send(&session, "RETR 1") == ["<retrieve 1 all then [3]>"])
        _ = session.receive(.retrieved(ByteBuffer(string: ".\r\n")))
        #expect(Self.send(&session, "RETR 3") == ["<retrieve 3 all>"])
        _ = session.receive(.retrieved(ByteBuffer(string: ".\r\n")))
        #expect(Self.send(&session, "USER bob") == ["-ERR Already logged in."])
    }

    @Test func quitCommitsOnlyInTheTransactionState() {
        var session = Self.loggedIn()
        _ = Self.send(&session, "DELE 3")
        _ = Self.send(&session, "DELE 1")
        #expect(Self.send(&session, "QUIT") == ["<commit [1, 3]>"])
        #expect(Self.render(session.receive(.committed(true))) == ["+OK Logging out, messages deleted.", "<close>"])
        #expect(session.isClosed)

        // Nothing deleted: still through the commit, which gives the maildrop lock back before the +OK.
        var untouched = Self.loggedIn()
        #expect(Self.send(&untouched, "QUIT") == ["<commit []>"])
        #expect(Self.render(untouched.receive(.committed(true))) == ["+OK Logging out.", "<close>"])
        // An end other than QUIT removes nothing.
        var dropped = Self.loggedIn()
        _ = Self.send(&dropped, "DELE 2")
        #expect(Self.render(dropped.receive(.eof)).isEmpty)
        #expect(Self.render(dropped.receive(.timeout)).isEmpty)
    }

    @Test func tooManyErrorsEndTheSession() {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "pop.test", maximumErrors: 3))
        #expect(Self.send(&session, "BOGUS") == ["-ERR Unknown command: BOGUS"])
        #expect(Self.send(&session, "STAT") == ["-ERR Log in first."])
        #expect(Self.send(&session, "BOGUS") == ["-ERR Unknown command: BOGUS", "-ERR Too many bad commands, closing.", "<close>"])
        #expect(session.isClosed)
    }

    @Test func timeoutsAndShutdownSayWhy() {
        var idle = Self.loggedIn()
        #expect(Self.render(idle.receive(.timeout)) == ["-ERR Disconnected for inactivity.", "<close>"])
        var stopping = Self.loggedIn()
        #expect(stopping.canShutDown)
        #expect(Self.render(stopping.receive(.shutdown)) == ["-ERR [SYS/TEMP] Server shutting down.", "<close>"])
    }
}
