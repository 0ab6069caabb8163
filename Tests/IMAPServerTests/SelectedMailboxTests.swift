import IMAPServer
import MailStore
import Testing

/// Sequence numbers, \Recent and the untagged responses that announce other sessions' changes.
@Suite struct SelectedMailboxTests {
    static func message(_ uid: UInt32, flags: Set<MailFlag> = [], keywords: [String] = [], new: Bool = false) -> StoredMessage {
        StoredMessage(uid: uid, filename: "m\(uid)", path: "/m/\(new ? "new" : "cur")/m\(uid)", size: 10, virtualSize: 10,
                      flags: flags, keywords: keywords, isNew: new)
    }

    static func listing(_ messages: [StoredMessage], validity: UInt32 = 77, next: UInt32 = 0) -> FolderListing {
        FolderListing(uidValidity: validity, nextUID: next, messages: messages)
    }

    @Test func selectAnnouncesCountsFlagsAndUIDState() {
        let box = SelectedMailbox(folder: "INBOX", listing: Self.listing([
            Self.message(3, flags: [.seen], keywords: ["Work"]), Self.message(5, new: true), Self.message(9, flags: [.seen], new: true),
        ], next: 10), readOnly: false)
        #expect(box.selectResponses == [
            "* 3 EXISTS",
            "* 2 RECENT",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work)",
            "* OK [UNSEEN 2] First unseen.",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work \\*)] Flags permitted.",
            "* OK [UIDVALIDITY 77] UIDs valid.",
            "* OK [UIDNEXT 10] Predicted next UID.",
        ])
        #expect(box.sequenceNumber(ofUID: 5) == 2 && box.sequenceNumber(ofUID: 4) == nil && box.sequenceNumber(ofUID: 9) == 3)
        #expect(box.flags(box.message(at: 2)!) == [.recent])
        #expect(box.flags(box.message(at: 1)!) == [.seen, .keyword("Work")])
        let readOnly = SelectedMailbox(folder: "INBOX", listing: Self.listing([]), readOnly: true)
        #expect(readOnly.selectResponses.contains("* OK [PERMANENTFLAGS ()] Flags permitted."))
        #expect(readOnly.selectResponses.contains("* OK [UIDNEXT 1] Predicted next UID."))
    }

    @Test func othersChangesAreAnnouncedWithExpungesFromTheTop() {
        var box = SelectedMailbox(folder: "INBOX", listing: Self.listing((1...5).map { Self.message($0) }), readOnly: false)
        let now = Self.listing([Self.message(1), Self.message(3, flags: [.flagged]), Self.message(5), Self.message(6, new: true)])
        #expect(box.sync(now, expungeAllowed: true) == [
            "* 4 EXPUNGE", "* 2 EXPUNGE",
            "* 2 FETCH (UID 3 FLAGS (\\Flagged))",
            "* 4 EXISTS", "* 1 RECENT",
        ])
        #expect(box.messages.map(\.uid) == [1, 3, 5, 6])
        #expect(box.uidNext == 7)
        #expect(box.sync(now, expungeAllowed: true).isEmpty)
    }

    @Test func expungesWaitWhileTheyMayNotBeSent() {
        var box = SelectedMailbox(folder: "INBOX", listing: Self.listing((1...3).map { Self.message($0) }), readOnly: false)
        let without2 = Self.listing([Self.message(1), Self.message(3)])
        // During FETCH/STORE/SEARCH the numbers stay; the message is known to be gone.
        #expect(box.sync(without2, expungeAllowed: false).isEmpty)
        #expect(box.count == 3 && box.isExpunged(2) && box.sequenceNumber(ofUID: 3) == 3)
        #expect(box.sync(without2, expungeAllowed: false).isEmpty)
        #expect(box.sync(without2, expungeAllowed: true) == ["* 2 EXPUNGE"])
        #expect(box.count == 2 && !box.isExpunged(2) && box.sequenceNumber(ofUID: 3) == 2)
    }

    @Test func ownChangesAreNotAnnouncedBack() {
        var box = SelectedMailbox(folder: "INBOX", listing: Self.listing([Self.message(1), Self.message(2)]), readOnly: false)
        box.record(Self.message(1, flags: [.seen]))
        #expect(box.sync(Self.listing([Self.message(1, flags: [.seen]), Self.message(2)]), expungeAllowed: true).isEmpty)
        // A later change by someone else still is.
        #expect(box.sync(Self.listing([Self.message(1), Self.message(2)]), expungeAllowed: true) == ["* 1 FETCH (UID 1 FLAGS ())"])
    }

    @Test func aNewUIDValidityEndsTheSelection() {
        var box = SelectedMailbox(folder: "INBOX", listing: Self.listing([Self.message(1)]), readOnly: false)
        #expect(box.sync(Self.listing([Self.message(1)], validity: 78), expungeAllowed: true).isEmpty)
        #expect(box.isInvalidated)
    }
}
