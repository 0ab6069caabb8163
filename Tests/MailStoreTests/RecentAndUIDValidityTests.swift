import Foundation
@testable import MailStore
import Testing

/// What imaptest's `select`, `append` and `uidvalidity` scripts need from the store: `\Recent` claimed by one
/// session (moving `new/` to `cur/`), and a UIDVALIDITY never given twice by one Maildir.
@Suite struct RecentAndUIDValidityTests {
    let root = TestSupport.makeDirectory("recent-uidvalidity")
    let owner = MailboxOwner(login: "shoaltest", domain: "example.com")

    @Test func claimingNewMessagesMovesThemToCurOnce() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root + "/mail").mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("one"))
        _ = try await mailbox.deliver(TestSupport.message("two"))
        let listed = try await mailbox.messages()
        let allNew = listed.allSatisfy { $0.isNew }
        #expect(allNew)
        let first = try await mailbox.claimNew(listed)
        #expect(first.map { $0?.isNew } == [true, true])
        let inCur = first.allSatisfy { $0?.path.contains("/cur/") == true && $0?.filename.hasSuffix(":2,") == true }
        #expect(inCur)
        // A second session claiming from its stale listing gets nothing: the first one had them.
        let second = try await mailbox.claimNew(listed)
        #expect(second.map { $0?.isNew } == [false, false] && second.map { $0?.path } == first.map { $0?.path })
        let noneNew = try await mailbox.messages().allSatisfy { !$0.isNew }
        #expect(noneNew)
        // Gone is nil.
        try await mailbox.remove([try #require(first[0])])
        let gone = try await mailbox.claimNew([listed[0]])
        #expect(gone == [nil])
    }

    @Test func theRecentFloorGivesCopiesToOneSession() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root + "/mail").mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("before"), flags: [.seen])
        // No floor yet: nothing is claimed, and the floor starts after what is there.
        let none = try await mailbox.claimRecent(try await mailbox.listing(folder: "INBOX"))
        #expect(none.isEmpty)
        _ = try await mailbox.deliver(TestSupport.message("copied"), flags: [.seen])
        _ = try await mailbox.deliver(TestSupport.message("appended"), flags: [.flagged])
        let listing = try await mailbox.listing(folder: "INBOX")
        let first = try await mailbox.claimRecent(listing, excluding: [3])
        #expect(first == [2], "UID 3 was claimed by another session's rename")
        let second = try await mailbox.claimRecent(listing)
        #expect(second.isEmpty, "a second session gets nothing")
        let floor = try String(contentsOfFile: mailbox.path + "/shoal-recent", encoding: .utf8)
        #expect(floor == "4\n")
    }

    @Test func aFolderCreatedAgainGetsANewUIDValidity() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root + "/mail").mailbox(for: owner)
        try await mailbox.createFolder("Again")
        let first = try await mailbox.listing(folder: "Again").uidValidity
        try await mailbox.deleteFolder("Again")
        try await mailbox.createFolder("Again")
        let second = try await mailbox.listing(folder: "Again").uidValidity
        #expect(first != 0 && second != first, "within one second: \(first) then \(second)")
        // Kept at the root in hex, as Dovecot keeps dovecot-uidvalidity; the clock wins once it is ahead.
        let kept = try String(contentsOfFile: mailbox.path + "/dovecot-uidvalidity", encoding: .utf8)
        #expect(UInt32(kept, radix: 16) == max(first, second))
        let posix = POSIX(permissions: FilePermissions())
        let later = try UIDValidityAllocator.next(forFolderAt: mailbox.path, posix: posix, now: Int(second) + 100)
        #expect(later == second + 100)
        let fromSubfolder = try UIDValidityAllocator.next(forFolderAt: mailbox.path + "/.Again", posix: posix, now: 5)
        #expect(fromSubfolder == later + 1)
    }
}
