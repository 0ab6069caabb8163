@testable import IMAPServer
import MailAccess
import MailStore
import NIOCore
import Testing

/// The pure IMAP session: states, literals, work requests and the responses built from their answers.
@Suite struct IMAPSessionTests {
    static func message(_ uid: UInt32, flags: Set<MailFlag> = [], new: Bool = false) -> StoredMessage {
        StoredMessage(uid: uid, filename: "m\(uid)", path: "/m/cur/m\(uid)", size: 20, virtualSize: 20, flags: flags, keywords: [], isNew: new)
    }

    /// Sends a line; returns the text sent and the work asked for, in order.
    static func line(_ session: inout IMAPSession, _ text: String) -> [String] {
        render(session.receive(.line(ByteBuffer(string: text))))
    }

    static func render(_ actions: [IMAPAction]) -> [String] {
        actions.map { action in
            switch action {
            case let .send(text): text
            case let .sendBytes(bytes): String(decoding: bytes, as: UTF8.self)
            case let .perform(work): "<\(String(describing: work).prefix(40))>"
            case .startTLS: "<starttls>"
            case .close: "<close>"
            }
        }
    }

    static func loggedIn(plaintext: Bool = true) -> IMAPSession {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(hostname: "imap.test", allowPlaintextAuthentication: plaintext))
        _ = session.start()
        _ = line(&session, "a LOGIN alice pw")
        _ = session.receive(.worked(.authenticated(.success(.init(login: "alice")))))
        return session
    }

    @Test func loginIsDisabledWithoutTLSAndCapabilitiesSaySo() {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(hostname: "imap.test", tlsAvailable: true))
        let greeting = Self.render(session.start()).joined()
        #expect(greeting.hasPrefix("* OK [CAPABILITY IMAP4rev1") && greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED"))
        #expect(Self.line(&session, "a LOGIN alice pw") == ["a NO [PRIVACYREQUIRED] Plaintext authentication disallowed without TLS.\r\n"])
        #expect(Self.line(&session, "b STARTTLS") == ["b OK Begin TLS negotiation now.\r\n", "<starttls>"])
        _ = session.receive(.tlsStarted)
        #expect(Self.line(&session, "c CAPABILITY").joined().contains("AUTH=PLAIN"))
        #expect(Self.line(&session, "d LOGIN alice pw").first?.hasPrefix("<authenticate") == true)
        #expect(Self.render(session.receive(.worked(.authenticated(.failure)))) == ["d NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"])
    }

    @Test func selectShowsTheFolderAndFetchRendersFromTheListing() {
        var session = Self.loggedIn()
        #expect(Self.line(&session, "s SELECT INBOX").first?.hasPrefix("<listing") == true)
        let listing = FolderListing(uidValidity: 9, nextUID: 3, messages: [Self.message(1, flags: [.seen]), Self.message(2, new: true)])
        let selected = Self.render(session.receive(.worked(.listing(listing))))
        #expect(selected.first == "* 2 EXISTS\r\n" && selected.last == "s OK [READ-WRITE] Select completed.\r\n")
        #expect(Self.line(&session, "f FETCH 1:* (UID FLAGS RFC822.SIZE)").first?.hasPrefix("<listing") == true)
        let fetched = Self.render(session.receive(.worked(.listing(listing))))
        #expect(fetched == ["* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 20)\r\n* 2 FETCH (UID 2 FLAGS (\\Recent) RFC822.SIZE 20)\r\n",
                            "f OK Fetch completed.\r\n"])
        #expect(Self.line(&session, "g FETCH 3 FLAGS") == ["g BAD Invalid message sequence number: 3\r\n"])
    }

    @Test func appendReadsItsLiteralAfterTheContinuation() {
        var session = Self.loggedIn()
        #expect(Self.line(&session, "a APPEND INBOX (\\Seen) {11}") == ["+ Ready for literal data\r\n"])
        #expect(session.inputMode == .chunk(remaining: 11))
        #expect(Self.render(session.receive(.chunk(ByteBuffer(string: "Subject: x\n")))).isEmpty)
        #expect(Self.line(&session, "").first?.hasPrefix("<append") == true)
        #expect(Self.render(session.receive(.worked(.appended(uidValidity: 5, uid: 8)))) == ["a OK [APPENDUID 5 8] Append completed.\r\n"])
        // Too big for the message limit: refused before any byte is read.
        let refused = Self.line(&session, "b APPEND INBOX {4294967295}").joined()
        #expect(refused.hasPrefix("b NO [TOOBIG]") && session.inputMode == .line)
    }

    @Test func idleWaitsForChangesAndEndsWithDone() {
        var session = Self.loggedIn()
        _ = Self.line(&session, "s SELECT INBOX")
        let listing = FolderListing(uidValidity: 9, nextUID: 2, messages: [Self.message(1)])
        _ = session.receive(.worked(.listing(listing)))
        #expect(Self.line(&session, "i IDLE") == ["+ idling\r\n", "<idleWait(folder: \"INBOX\", claimRecent: t>"])
        #expect(!session.isWaiting)  // DONE must get through while the poll is out
        var grown = listing
        grown.messages.append(Self.message(2, new: true))
        #expect(Self.render(session.receive(.worked(.listing(grown)))) == ["* 2 EXISTS\r\n", "* 1 RECENT\r\n", "<idleWait(folder: \"INBOX\", claimRecent: t>"])
        // DONE asks the agent to end the poll under way at once; commands wait until that poll is answered.
        #expect(Self.line(&session, "DONE") == ["i OK Idle completed.\r\n", "<endIdle>"])
        #expect(session.isWaiting)
        // The answer to .endIdle is not the poll's: the session keeps waiting for it.
        #expect(session.receive(.worked(.idleEnded)).isEmpty && session.isWaiting)
        // The poll that was out is answered and ignored.
        #expect(Self.render(session.receive(.worked(.listing(grown)))).isEmpty)
        #expect(!session.isWaiting)
        #expect(Self.line(&session, "n NOOP").first?.hasPrefix("<listing") == true)
    }

    @Test func doneWithoutAPollOutDoesNotAskToEndOne() {
        var session = Self.loggedIn()
        _ = Self.line(&session, "s SELECT INBOX")
        _ = session.receive(.worked(.listing(FolderListing(uidValidity: 9, nextUID: 2, messages: [Self.message(1)]))))
        _ = Self.line(&session, "i IDLE")
        // The poll failed: IDLE goes on without one out, and DONE has nothing to end.
        _ = session.receive(.worked(.failed(IMAPStoreFailure(code: "UNAVAILABLE", text: "busy"))))
        #expect(Self.line(&session, "DONE") == ["i OK Idle completed.\r\n"])
        #expect(!session.isWaiting)
    }

    @Test func storeAnswersWithTheNewFlagsUnlessSilent() {
        var session = Self.loggedIn()
        _ = Self.line(&session, "s SELECT INBOX")
        let listing = FolderListing(uidValidity: 9, nextUID: 2, messages: [Self.message(1)])
        _ = session.receive(.worked(.listing(listing)))
        _ = Self.line(&session, "t STORE 1 +FLAGS (\\Flagged Work)")
        let asked = Self.render(session.receive(.worked(.listing(listing))))
        #expect(asked.first?.hasPrefix("<setFlags") == true)
        var updated = Self.message(1, flags: [.flagged])
        updated.keywords = ["Work"]
        // Work is a new keyword: FLAGS and PERMANENTFLAGS name it first (RFC 3501 §7.2.6).
        #expect(Self.render(session.receive(.worked(.flagsSet([updated])))) == [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work)\r\n",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work \\*)] Flags permitted.\r\n",
            "* 1 FETCH (FLAGS (\\Flagged Work))\r\n", "t OK Store completed.\r\n"])
        _ = Self.line(&session, "u STORE 1 -FLAGS.SILENT (Work)")
        _ = session.receive(.worked(.listing(FolderListing(uidValidity: 9, nextUID: 2, messages: [updated]))))
        #expect(Self.render(session.receive(.worked(.flagsSet([Self.message(1, flags: [.flagged])])))) == ["u OK Store completed.\r\n"])
    }

    @Test func garbageIsBADAndTooMuchOfItEndsTheSession() {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(hostname: "imap.test", maximumErrors: 3))
        _ = session.start()
        #expect(Self.line(&session, "a FROB").first?.hasPrefix("a BAD") == true)
        #expect(Self.line(&session, "b SELECT INBOX") == ["b BAD Log in first.\r\n"])
        let last = Self.line(&session, "c FROB")
        #expect(last.contains("<close>"))
        #expect(session.isClosed)
    }

    @Test func aLargeFetchReadsAndSendsItsMessagesInBatches() {
        var session = Self.loggedIn()
        _ = Self.line(&session, "s SELECT INBOX")
        let messages = (1...300).map { Self.message(UInt32($0)) }
        let listing = FolderListing(uidValidity: 9, nextUID: 301, messages: messages)
        _ = session.receive(.worked(.listing(listing)))
        _ = Self.line(&session, "f FETCH 1:* BODY.PEEK[]")
        var actions = session.receive(.worked(.listing(listing)))
        var batches: [Int] = [], sent = 0
        while case let .perform(.messageData(batch, _, _, _, _))? = actions.last {
            batches.append(batch.count)
            let data = batch.map { IMAPMessageData(uid: $0.uid, contents: Array("Subject: \($0.uid)\r\n\r\nx\r\n".utf8), receivedDate: 0) }
            actions = session.receive(.worked(.messageData(data)))
            sent += actions.filter { if case .sendBytes = $0 { true } else { false } }.count
        }
        #expect(batches == [imapContentsBatch, 300 - imapContentsBatch])  // small messages: the count bounds a batch
        #expect(sent == 2)
        #expect(Self.render(actions).last == "f OK Fetch completed.\r\n")
    }
}
