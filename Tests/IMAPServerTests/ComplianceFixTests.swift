@testable import IMAPServer
import MIME
import MailStore
import Foundation
import NIOCore
import Testing

/// One test per protocol bug Dovecot's imaptest found (its script named in each), on the pure session.
@Suite struct ComplianceFixTests {
    typealias S = IMAPSessionTests

    static func selected(_ messages: [StoredMessage], readOnly: Bool = false) -> IMAPSession {
        var session = S.loggedIn()
        _ = S.line(&session, readOnly ? "s EXAMINE INBOX" : "s SELECT INBOX")
        _ = session.receive(.worked(.listing(FolderListing(uidValidity: 9, nextUID: UInt32(messages.count + 1), messages: messages))))
        return session
    }

    /// `list`, `listext`, `subscribe`: `CREATE name/` creates `name` (RFC 3501 §6.3.3).
    @Test func createWithATrailingSeparatorCreatesTheName() {
        var session = S.loggedIn()
        #expect(S.line(&session, "c CREATE imaptest/") == ["<create(folder: \"imaptest\")>"])
        _ = session.receive(.worked(.done))
        #expect(S.line(&session, "d CREATE a/b/") == ["<create(folder: \"a/b\")>"])
    }

    /// `append`, `uidplus`: APPEND to the selected folder announces the message before the tagged OK.
    @Test func appendToTheSelectedFolderAnnouncesExists() {
        var session = Self.selected([S.message(1)])
        #expect(S.line(&session, "a APPEND INBOX {11+}").isEmpty)
        _ = session.receive(.chunk(ByteBuffer(string: "Subject: x\n")))
        #expect(S.line(&session, "").first?.hasPrefix("<append") == true)
        let asked = S.render(session.receive(.worked(.appended(uidValidity: 9, uid: 2))))
        #expect(asked.count == 1 && asked[0].hasPrefix("<listing(folder: \"INBOX\", claimRecent: t"), "\(asked)")
        let grown = FolderListing(uidValidity: 9, nextUID: 3, messages: [S.message(1), S.message(2, new: true)])
        #expect(S.render(session.receive(.worked(.listing(grown))))
            == ["* 2 EXISTS\r\n", "* 1 RECENT\r\n", "a OK [APPENDUID 9 2] Append completed.\r\n"])
        // Another folder: no look at the selected one.
        _ = S.line(&session, "b APPEND Drafts {1+}")
        _ = session.receive(.chunk(ByteBuffer(string: "x")))
        _ = S.line(&session, "")
        #expect(S.render(session.receive(.worked(.appended(uidValidity: 4, uid: 7)))) == ["b OK [APPENDUID 4 7] Append completed.\r\n"])
    }

    /// `fetch-body`: a FETCH that sets `\Seen` reports the new flags even when FLAGS was not asked for.
    @Test func implicitSeenIsReportedWithTheFetch() {
        var session = Self.selected([S.message(1)])
        _ = S.line(&session, "f FETCH 1 RFC822.TEXT")
        let asked = S.render(session.receive(.worked(.listing(FolderListing(uidValidity: 9, nextUID: 2, messages: [S.message(1)])))))
        #expect(asked.first?.hasPrefix("<setFlags") == true, "\(asked)")
        let reading = S.render(session.receive(.worked(.flagsSet([S.message(1, flags: [.seen])]))))
        #expect(reading.first?.hasPrefix("<messageData") == true, "\(reading)")
        let sent = S.render(session.receive(.worked(.messageData([IMAPMessageData(uid: 1, contents: Array("S: x\r\n\r\nhi\r\n".utf8),
                                                                                         receivedDate: nil)]))))
        #expect(sent == ["* 1 FETCH (RFC822.TEXT {4}\r\nhi\r\n)\r\n* 1 FETCH (FLAGS (\\Seen))\r\n", "f OK Fetch completed.\r\n"], "\(sent)")
    }

    /// `copy`, `store`, ...: a keyword the last FLAGS response did not name is announced with FLAGS and
    /// PERMANENTFLAGS before the FETCH that shows it.
    @Test func newKeywordsAreAnnouncedWithFlagsFirst() {
        var session = Self.selected([S.message(1), S.message(2)])
        _ = S.line(&session, "t STORE 1 +FLAGS (Work)")
        _ = session.receive(.worked(.listing(FolderListing(uidValidity: 9, nextUID: 3, messages: [S.message(1), S.message(2)]))))
        var work = S.message(1)
        work.keywords = ["Work"]
        let flags = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work)\r\n"
        let permanent = "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work \\*)] Flags permitted.\r\n"
        #expect(S.render(session.receive(.worked(.flagsSet([work]))))
            == [flags, permanent, "* 1 FETCH (FLAGS (Work))\r\n", "t OK Store completed.\r\n"])
        // Known now: not announced again; another session's new keyword is, before its FETCH.
        var other = S.message(2)
        other.keywords = ["Home"]
        _ = S.line(&session, "n NOOP")
        let noop = S.render(session.receive(.worked(.listing(FolderListing(uidValidity: 9, nextUID: 3, messages: [work, other])))))
        #expect(noop.first == "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work Home)\r\n" && noop.count == 4, "\(noop)")
        #expect(noop[2] == "* 2 FETCH (UID 2 FLAGS (Home))\r\n")
    }

    /// `subscribe`: LSUB with `%` names the unsubscribed parent of a subscribed folder with `\Noselect`.
    @Test func lsubShowsParentsOfSubscribedChildrenAsNoselect() {
        let lines = ListExtendedTests.list("l LSUB \"\" %")
        #expect(lines.contains("* LSUB (\\Noselect) \"/\" Fruit\r\n") && lines.contains("* LSUB () \"/\" Tofu\r\n"), "\(lines)")
        #expect(!lines.contains { $0.contains("Banana") }, "\(lines)")
        let deeper = ListExtendedTests.list("l LSUB \"\" Fruit/%")
        #expect(deeper.contains("* LSUB () \"/\" Fruit/Banana\r\n") && !deeper.contains { $0.contains("Noselect") }, "\(deeper)")
        // `*` reaches the child itself: no parent line.
        #expect(!ListExtendedTests.list("l LSUB \"\" *").contains { $0.contains("Noselect") })
    }

    /// `select`: SELECT claims the messages in new/ (EXAMINE does not), and so does every later look.
    @Test func selectClaimsRecentExamineDoesNot() {
        var session = S.loggedIn()
        #expect(S.line(&session, "s SELECT INBOX").first?.hasPrefix("<listing(folder: \"INBOX\", claimRecent: t") == true)
        var examining = S.loggedIn()
        #expect(S.line(&examining, "e EXAMINE INBOX").first?.hasPrefix("<listing(folder: \"INBOX\", claimRecent: f") == true)
        var idle = Self.selected([S.message(1)])
        #expect(S.line(&idle, "i IDLE") == ["+ idling\r\n", "<idleWait(folder: \"INBOX\", claimRecent: t>"])
    }

    /// `search-addresses`: FROM matches the address as ENVELOPE has it, comments and all removed.
    @Test func addressSearchesMatchTheParsedAddress() {
        let forms = IMAPSearchEvaluator.addressForms(Array("<user-from (comment)@ (comment) domain.org>".utf8))
        #expect(forms.contains { IMAPSearchEvaluator.contains($0, "user-from@domain.org") }, "\(forms.map { String(decoding: $0, as: UTF8.self) })")
        let named = IMAPSearchEvaluator.addressForms(Array("=?utf-8?q?R=C3=A9al?= <a@b.c>, team: x@y.z;".utf8))
        #expect(named.map { String(decoding: $0, as: UTF8.self) } == ["Réal <a@b.c>", "team", "x@y.z"])
    }
}

/// `select`, `copy`, `append`: the agent claims `\Recent` for a read-write selection, once.
@Suite struct RecentClaimTests {
    @Test func aReadWriteListingClaimsNewAndCopiedMessagesOnce() async throws {
        let root = IMAPMailboxAgentTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (agent, mailbox) = try await IMAPMailboxAgentTests.agent(root)
        _ = await agent.perform(.authenticate(login: "alice", password: "pw"))
        _ = try await mailbox.deliver(Array("Subject: new\n\nx\n".utf8))
        _ = try await mailbox.deliver(Array("Subject: seen\n\nx\n".utf8), flags: [.seen])
        func recent(claim: Bool) async -> [UInt32] {
            guard case let .listing(listing) = await agent.perform(.listing(folder: "INBOX", claimRecent: claim)) else { return [999] }
            return listing.messages.filter(\.isNew).map(\.uid)
        }
        #expect(await recent(claim: false) == [1], "EXAMINE and STATUS see new/ and claim nothing")
        #expect(await recent(claim: true) == [1], "SELECT claims new/; the recent floor starts after UID 2")
        #expect(await recent(claim: true).isEmpty)
        let inNew = try await mailbox.messages().filter { $0.isNew }
        #expect(inNew.isEmpty, "SELECT moved new/ to cur/")
        guard case .appended = await agent.perform(.append(Array("Subject: a\n\nx\n".utf8), folder: "INBOX", flags: [.seen],
                                                           keywords: [], receivedDate: nil)) else { Issue.record("append"); return }
        #expect(await recent(claim: true) == [3], "an append with flags is recent for the session that sees it first")
        #expect(await recent(claim: true).isEmpty)
    }
}
