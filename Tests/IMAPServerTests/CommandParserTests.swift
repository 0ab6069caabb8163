import IMAPServer
import NIOCore
import Testing

/// Every command form: valid lines parse to the right value, invalid ones are BAD with the tag.
@Suite struct CommandParserTests {
    @Test func commandsWithoutArguments() {
        let cases: [(String, IMAPCommand.Kind)] = [
            ("CAPABILITY", .capability), ("noop", .noop), ("Logout", .logout), ("STARTTLS", .starttls),
            ("CHECK", .check), ("CLOSE", .close), ("UNSELECT", .unselect), ("EXPUNGE", .expunge),
            ("NAMESPACE", .namespace), ("IDLE", .idle),
        ]
        for (name, expected) in cases {
            #expect(IMAPCommand.parse("a1 \(name)") == .success(IMAPCommand(tag: "a1", kind: expected)))
            #expect(failure("a1 \(name) extra")?.tag == "a1")
            #expect(failure("a1 \(name) ") != nil)
        }
    }

    @Test func tags() throws {
        #expect(try IMAPCommand.parse("A.1-x]: NOOP").get().tag == "A.1-x]:")
        #expect(failure("NOOP")?.text.contains("command name") == true)
        #expect(failure("+tag NOOP")?.tag == nil)
        #expect(failure("a{b NOOP")?.tag == nil)
        #expect(failure("")?.tag == nil)
        #expect(failure(" NOOP")?.tag == nil)
        #expect(failure("a1  NOOP")?.tag == "a1")
        #expect(failure("a1 FROB")?.text == "Unknown command FROB")
        #expect(failure("a1 FROB")?.response.rendered == "a1 BAD Unknown command FROB\r\n")
    }

    @Test func authenticateAndLogin() {
        #expect(kind("a AUTHENTICATE plain") == .authenticate(mechanism: "PLAIN", initialResponse: nil))
        #expect(kind("a AUTHENTICATE PLAIN AGFsaWNlAHB3") == .authenticate(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHB3"))
        #expect(kind("a AUTHENTICATE PLAIN =") == .authenticate(mechanism: "PLAIN", initialResponse: "="))
        #expect(kind("a AUTHENTICATE") == nil)
        #expect(kind("a AUTHENTICATE PLAIN ab$c") == nil)
        #expect(kind("a LOGIN alice secret") == .login(user: "alice", password: "secret"))
        #expect(kind("a LOGIN \"alice\" \"p \\\"w\\\\d\"") == .login(user: "alice", password: "p \"w\\d"))
        #expect(kind("a LOGIN alice") == nil)
        #expect(kind("a LOGIN alice \"unterminated") == nil)
        #expect(kind("a LOGIN alice \"bad\\n\"") == nil)
        #expect(kind("a LOGIN alice (x)") == nil)
        #expect(IMAPCommand.parse(text: Array("a LOGIN {5}\r\n {3}\r\n".utf8), literals: [buffer("alice"), buffer("p w")])
            == .success(IMAPCommand(tag: "a", kind: .login(user: "alice", password: "p w"))))
        #expect(IMAPCommand.authenticateResponse(buffer("*")) == .cancel)
        #expect(IMAPCommand.authenticateResponse(buffer("AGFs")) == .response("AGFs"))
    }

    @Test func selectAndExamine() {
        #expect(kind("a SELECT inbox") == .select(.inbox, parameters: []))
        #expect(kind("a EXAMINE \"Sent Items\"") == .examine(IMAPMailboxName(wire: "Sent Items"), parameters: []))
        #expect(kind("a SELECT INBOX (CONDSTORE)") == .select(.inbox, parameters: [.condStore]))
        #expect(kind("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))")
            == .select(.inbox, parameters: [.qresync(uidValidity: 67890007, modSeq: 20050715194045000, knownUIDs: set("41,43:211,214:541"), sequenceMatch: nil)]))
        #expect(kind("a SELECT INBOX (QRESYNC (1 2 1:5 (1:3 10:12)))")
            == .select(.inbox, parameters: [.qresync(uidValidity: 1, modSeq: 2, knownUIDs: set("1:5"), sequenceMatch: IMAPSequenceMatch(sequenceNumbers: set("1:3"), uids: set("10:12")))]))
        #expect(kind("a SELECT INBOX (X-FOO (a b) X-BAR)") == .select(.inbox, parameters: [.other(name: "X-FOO", value: "(a b)"), .other(name: "X-BAR", value: nil)]))
        #expect(kind("a SELECT") == nil)
        #expect(kind("a SELECT INBOX ()") == nil)
        #expect(kind("a SELECT INBOX (QRESYNC (0 1))") == nil)
        #expect(kind("a SELECT INBOX (CONDSTORE") == nil)
    }

    @Test func mailboxManagement() {
        #expect(kind("a CREATE Drafts") == .create(IMAPMailboxName(wire: "Drafts"), specialUse: []))
        #expect(kind("a CREATE MySent (USE (\\Sent))") == .create(IMAPMailboxName(wire: "MySent"), specialUse: ["\\Sent"]))
        #expect(kind("a CREATE x (USE (\\Sent \\Archive))") == .create(IMAPMailboxName(wire: "x"), specialUse: ["\\Sent", "\\Archive"]))
        #expect(kind("a CREATE x (USE ())") == nil)
        #expect(kind("a CREATE x (FOO)") == nil)
        #expect(kind("a DELETE \"a b\"") == .delete(IMAPMailboxName(wire: "a b")))
        #expect(kind("a RENAME old new") == .rename(from: IMAPMailboxName(wire: "old"), to: IMAPMailboxName(wire: "new")))
        #expect(kind("a RENAME old") == nil)
        #expect(kind("a SUBSCRIBE INBOX.x") == .subscribe(IMAPMailboxName(wire: "INBOX.x")))
        #expect(kind("a UNSUBSCRIBE x") == .unsubscribe(IMAPMailboxName(wire: "x")))
        #expect(kind("a DELETE") == nil)
        #expect(kind("a DELETE a%b") == nil)
    }

    @Test func list() {
        #expect(kind("a LIST \"\" *") == .list(IMAPListCommand(reference: "", patterns: ["*"])))
        #expect(kind("a LIST \"\" \"\"") == .list(IMAPListCommand(reference: "", patterns: [""])))
        #expect(kind("a LIST ~/Mail/ %") == .list(IMAPListCommand(reference: "~/Mail/", patterns: ["%"])))
        #expect(kind("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX* Drafts) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))")
            == .list(IMAPListCommand(selectionOptions: [.subscribed, .recursiveMatch], reference: "", patterns: ["INBOX*", "Drafts"],
                returnOptions: [.children, .specialUse, .status([.messages, .unseen])], isExtended: true)))
        #expect(kind("a LIST (SPECIAL-USE REMOTE) \"\" *") == .list(IMAPListCommand(selectionOptions: [.specialUse, .remote], reference: "", patterns: ["*"], isExtended: true)))
        #expect(kind("a LIST \"\" % RETURN (SUBSCRIBED)") == .list(IMAPListCommand(reference: "", patterns: ["%"], returnOptions: [.subscribed], isExtended: true)))
        #expect(kind("a LIST () \"\" %") == .list(IMAPListCommand(reference: "", patterns: ["%"], isExtended: true)))
        #expect(kind("a LIST (RECURSIVEMATCH) \"\" %") == nil)
        #expect(kind("a LIST \"\"") == nil)
        #expect(kind("a LIST \"\" () ") == nil)
        #expect(kind("a LIST \"\" % FOO") == nil)
        #expect(kind("a LSUB \"\" *") == .lsub(reference: "", pattern: "*"))
        #expect(kind("a LSUB \"\"") == nil)
    }

    @Test func status() {
        #expect(kind("a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)")
            == .status(.inbox, attributes: IMAPStatusAttribute.allCases))
        #expect(kind("a STATUS INBOX (messages)") == .status(.inbox, attributes: [.messages]))
        #expect(kind("a STATUS INBOX ()") == nil)
        #expect(kind("a STATUS INBOX (FOO)") == nil)
        #expect(kind("a STATUS INBOX MESSAGES") == nil)
    }

    @Test func append() {
        let message = buffer("Subject: hi\r\n\r\n\u{00e9}t\u{00e9}\r\n")
        let n = message.readableBytes
        func append(_ text: String, _ literals: [ByteBuffer]) -> IMAPCommand.Kind? {
            try? IMAPCommand.parse(text: Array(text.utf8), literals: literals).get().kind
        }
        #expect(append("a APPEND INBOX {\(n)}\r\n", [message]) == .append(IMAPAppend(mailbox: .inbox, message: message)))
        #expect(append("a APPEND Sent (\\Seen $Forwarded) \" 7-Jul-1996 02:44:25 -0700\" {\(n)+}\r\n", [message])
            == .append(IMAPAppend(mailbox: IMAPMailboxName(wire: "Sent"), flags: [.seen, .keyword("$Forwarded")],
                internalDate: IMAPDateTime(date: date("7-Jul-1996"), hour: 2, minute: 44, second: 25, zoneOffsetMinutes: -420), message: message)))
        #expect(append("a APPEND INBOX () {\(n)}\r\n", [message]) == .append(IMAPAppend(mailbox: .inbox, message: message)))
        #expect(append("a APPEND INBOX ~{3}\r\n", [buffer([0, 1, 2])]) == .append(IMAPAppend(mailbox: .inbox, message: buffer([0, 1, 2]), isBinary: true)))
        #expect(append("a APPEND INBOX {3}\r\n", [buffer([0, 1, 2])]) == nil)  // NUL needs literal8
        #expect(append("a APPEND INBOX (\\Recent) {\(n)}\r\n", [message]) == nil)
        #expect(append("a APPEND INBOX \"31-Feb-2020 00:00:00 +0000\" {\(n)}\r\n", [message]) == nil)
        #expect(append("a APPEND INBOX {\(n + 1)}\r\n", [message]) == nil)
        #expect(append("a APPEND INBOX {\(n)}\r\n", []) == nil)
        #expect(append("a APPEND INBOX \"not a literal\"", []) == nil)
        #expect(append("a APPEND INBOX {\(n)}\r\n extra", [message]) == nil)
        #expect(append("a APPEND {5}\r\n {\(n)}\r\n", [buffer("Draft"), message]) == .append(IMAPAppend(mailbox: IMAPMailboxName(wire: "Draft"), message: message)))
    }

    @Test func idEnableNamespace() {
        #expect(kind("a ID NIL") == .id(nil))
        #expect(kind("a ID (\"name\" \"Thunderbird\" \"version\" NIL)")
            == .id([IMAPIDParameter(key: "name", value: "Thunderbird"), IMAPIDParameter(key: "version", value: nil)]))
        #expect(kind("a ID ()") == .id([]))
        #expect(kind("a ID (\"name\")") == nil)
        #expect(kind("a ID") == nil)
        #expect(kind("a ENABLE CONDSTORE qresync") == .enable(["CONDSTORE", "QRESYNC"]))
        #expect(kind("a ENABLE") == nil)
        #expect(kind("a ENABLE ") == nil)
    }

    @Test func selectedStateCommands() {
        #expect(kind("a UID EXPUNGE 3000:3002") == .uidExpunge(set("3000:3002")))
        #expect(kind("a UID EXPUNGE") == nil)
        #expect(kind("a COPY 2:4 MEETING") == .copy(set("2:4"), to: IMAPMailboxName(wire: "MEETING"), uid: false))
        #expect(kind("a UID COPY 1:* inbox") == .copy(.all, to: .inbox, uid: true))
        #expect(kind("a MOVE 1 Trash") == .move(set("1"), to: IMAPMailboxName(wire: "Trash"), uid: false))
        #expect(kind("a UID MOVE 42 Trash") == .move(set("42"), to: IMAPMailboxName(wire: "Trash"), uid: true))
        #expect(kind("a COPY 0 Trash") == nil)
        #expect(kind("a UID FROB 1") == nil)
        #expect(kind("a UID") == nil)
    }

    @Test func store() {
        #expect(kind("a STORE 2:4 +FLAGS (\\Deleted)") == .store(set("2:4"), IMAPStoreAction(operation: .add, flags: [.deleted]), uid: false))
        #expect(kind("a STORE 1 -FLAGS.SILENT \\Seen $Junk") == .store(set("1"), IMAPStoreAction(operation: .remove, silent: true, flags: [.seen, .keyword("$Junk")]), uid: false))
        #expect(kind("a UID STORE 1:* flags ()") == .store(.all, IMAPStoreAction(operation: .replace, flags: []), uid: true))
        #expect(kind("a STORE 1 (UNCHANGEDSINCE 12345) +FLAGS (\\Answered \\Flagged \\Draft)")
            == .store(set("1"), IMAPStoreAction(operation: .add, flags: [.answered, .flagged, .draft], unchangedSince: 12345), uid: false))
        #expect(kind("a STORE 1 +FLAGS (\\Recent)") == nil)
        #expect(kind("a STORE 1 +FLAGS \\Recent") == nil)
        #expect(kind("a STORE 1 +FLAGS (\\)") == nil)
        #expect(kind("a STORE 1 +FLAGS (a%b)") == nil)
        #expect(kind("a STORE 1 FLAGS.LOUD (\\Seen)") == nil)
        #expect(kind("a STORE 1 *FLAGS (\\Seen)") == nil)
        #expect(kind("a STORE 1 +FLAGS") == nil)
        #expect(kind("a STORE 1 +FLAGS (\\Seen") == nil)
        #expect(kind("a STORE 1 +FLAGS (\\Custom)") == .store(set("1"), IMAPStoreAction(operation: .add, flags: [.extension("Custom")]), uid: false))
    }

    @Test func sortAndThread() {
        #expect(kind("a SORT (REVERSE DATE SUBJECT) UTF-8 ALL")
            == .sort(criteria: [IMAPSortCriterion(.date, reversed: true), IMAPSortCriterion(.subject)], charset: "UTF-8", key: .all, uid: false))
        #expect(kind("a UID SORT (ARRIVAL CC FROM SIZE TO DISPLAYFROM REVERSE DISPLAYTO) us-ascii UNSEEN SINCE 1-Feb-1994")
            == .sort(criteria: [.init(.arrival), .init(.cc), .init(.from), .init(.size), .init(.to), .init(.displayFrom), .init(.displayTo, reversed: true)],
                charset: "US-ASCII", key: .and([.unseen, .since(date("1-Feb-1994"))]), uid: true))
        #expect(kind("a SORT () UTF-8 ALL") == nil)
        #expect(kind("a SORT (BOGUS) UTF-8 ALL") == nil)
        #expect(kind("a SORT (DATE) UTF-8") == nil)
        #expect(kind("a SORT (REVERSE) UTF-8 ALL") == nil)
        #expect(kind("a THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000") == .thread(algorithm: .orderedSubject, charset: "UTF-8", key: .since(date("5-Mar-2000")), uid: false))
        #expect(kind("a UID THREAD references US-ASCII TEXT \"gewp\"") == .thread(algorithm: .references, charset: "US-ASCII", key: .text("gewp"), uid: true))
        #expect(kind("a THREAD REFS UTF-8 ALL") == nil)
        #expect(kind("a THREAD REFERENCES") == nil)
    }

    @Test func idleDone() {
        #expect(IMAPCommand.isIdleDone(buffer("DONE")))
        #expect(IMAPCommand.isIdleDone(buffer("done")))
        #expect(!IMAPCommand.isIdleDone(buffer("DONE ")))
        #expect(!IMAPCommand.isIdleDone(buffer("a DONE")))
        #expect(!IMAPCommand.isIdleDone(buffer("")))
    }
}
