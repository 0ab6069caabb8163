import Foundation
@testable import MailStore
import Testing

/// What IMAP and POP3 do to a mailbox besides delivering: flags, folders, copies, appends, removals and the
/// changes a session reports — each checked against Dovecot's view of the same Maildir.
@Suite struct MailboxEditingTests {
    let root = TestSupport.makeDirectory("mailbox-editing")
    let owner = MailboxOwner(login: "shoaltest", domain: "example.com")

    func store() -> MailStore {
        chmod(root, 0o755)
        return TestSupport.store(root: root + "/mail", permissions: FilePermissions(owner: Dovecot.mailUser))
    }

    @Test func flagChangesRenameIntoCurAndDovecotSeesThem() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("one"))
        _ = try await mailbox.deliver(TestSupport.message("two"), flags: [.seen])
        let listed = try await mailbox.messages()
        #expect(listed[0].isNew)
        let updated = try #require(try await mailbox.setFlags(listed[0], flags: [.seen, .flagged], keywords: ["Work", "$Label1"]))
        #expect(!updated.isNew && updated.path.contains("/cur/") && updated.filename.hasSuffix(":2,FSab"))
        // A stale StoredMessage (the file was renamed since) still finds the file by its base name.
        let again = try #require(try await mailbox.setFlags(listed[0], flags: [.replied], keywords: []))
        #expect(again.filename.hasSuffix(":2,R"))
        let now = try await mailbox.messages()
        #expect(now.map(\.flags) == [[.replied], [.seen]] && now.map(\.keywords) == [[], []])
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        #expect(try dovecot.flags() == [1: ["\\Answered"], 2: ["\\Seen"]])
        // Keywords given letters before stay known to Dovecot.
        _ = try await mailbox.setFlags(now[1], flags: [.seen], keywords: ["$Label1"])
        #expect(try dovecot.flags()[2] == ["\\Seen", "$Label1"])
        // A removed message has nothing to change.
        try await mailbox.remove([now[0]])
        #expect(try await mailbox.setFlags(now[0], flags: [.seen], keywords: []) == nil)
    }

    @Test func foldersAreCreatedListedRenamedAndDeletedAsDovecotSeesThem() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("inbox"))
        try await mailbox.createFolder("Archive/2026")
        try await mailbox.createFolder("Projekte/Überblick")
        await #expect(throws: MailStoreError.self) { try await mailbox.createFolder("Archive/2026") }
        let names = try await mailbox.folders().map { "\($0.name)\($0.selectable ? "" : " noselect")\($0.hasChildren ? " children" : "")" }
        #expect(names == ["INBOX", "Archive noselect children", "Archive/2026", "Drafts", "Junk", "Projekte noselect children",
                          "Projekte/Überblick", "Sent", "Trash"])
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        let seen = Set(try dovecot.run(["mailbox", "list"]).split(separator: "\n").map(String.init))
        #expect(seen.isSuperset(of: ["Archive.2026", "Projekte.Überblick"]), "\(seen)")
        #expect(FileManager.default.fileExists(atPath: mailbox.path + "/.Projekte.&ANw-berblick/cur"))

        _ = try await mailbox.deliver(TestSupport.message("archived"), folder: "Archive/2026", flags: [.seen])
        try await mailbox.renameFolder("Archive", to: "Old")  // a level that only has children: they move along
        #expect(try await mailbox.messages(folder: "Old/2026").count == 1)
        try await mailbox.renameFolder("Old/2026", to: "Kept")
        #expect(try await mailbox.messages(folder: "Kept").count == 1)
        await #expect(throws: MailStoreError.self) { try await mailbox.renameFolder("Kept", to: "Sent") }

        // RENAME INBOX moves its messages and leaves INBOX empty.
        try await mailbox.renameFolder("INBOX", to: "From Inbox")
        #expect(try await mailbox.messages().isEmpty)
        #expect(try await mailbox.messages(folder: "From Inbox").count == 1)

        try await mailbox.deleteFolder("Kept")
        await #expect(throws: MailStoreError.self) { try await mailbox.messages(folder: "Kept") }
        await #expect(throws: MailStoreError.self) { try await mailbox.deleteFolder("INBOX") }
        let after = Set(try dovecot.run(["mailbox", "list"]).split(separator: "\n").map(String.init))
        #expect(after.contains("From Inbox") && !after.contains("Kept"), "\(after)")
    }

    @Test func subscriptionsAreDovecots() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        try await mailbox.createFolder("Lists/Swift")
        try await mailbox.setSubscribed("Lists/Swift", true)
        try await mailbox.setSubscribed("Junk", false)
        #expect(try await mailbox.subscriptions() == ["Sent", "Drafts", "Trash", "Lists/Swift"])
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        let subscribed = Set(try dovecot.run(["mailbox", "list", "-s"]).split(separator: "\n").map(String.init))
        #expect(subscribed == ["Sent", "Drafts", "Trash", "Lists.Swift"])
    }

    @Test func copiesAndAppendsKeepFlagsAndArrivalTime() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("a"), flags: [.seen], keywords: ["Work"])
        _ = try await mailbox.deliver(TestSupport.message("b"))
        let appended = try await mailbox.append(TestSupport.message("c"), folder: "Sent", flags: [.seen, .draft], receivedDate: 1_000_000_000)
        #expect(appended.uid == 1)
        let sent = try await mailbox.messages(folder: "Sent")
        #expect(try await mailbox.receivedDate(of: sent[0], folder: "Sent") == 1_000_000_000)
        await #expect(throws: MailStoreError.self) { try await mailbox.append(TestSupport.message("x"), folder: "Nowhere") }

        let inbox = try await mailbox.messages()
        let pairs = try await mailbox.copy(inbox, to: "Trash")
        #expect(pairs.map(\.source) == [1, 2] && pairs.map(\.copy) == [1, 2])
        let trash = try await mailbox.messages(folder: "Trash")
        #expect(trash.map(\.flags) == [[.seen], []] && trash.map(\.keywords) == [["Work"], []])
        #expect(try await mailbox.contents(of: trash[0], folder: "Trash") == TestSupport.message("a"))
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        #expect(try dovecot.flags(folder: "Trash") == [1: ["\\Seen", "Work"], 2: []])
    }

    @Test func changesBetweenListingsAreWhatASessionReports() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        for subject in ["1", "2", "3"] { _ = try await mailbox.deliver(TestSupport.message(subject)) }
        let before = try await mailbox.listing()
        #expect(try await mailbox.listing().changes(since: before).isEmpty)
        try await mailbox.remove([before.messages[1]])
        _ = try await mailbox.setFlags(before.messages[2], flags: [.seen], keywords: [])
        _ = try await mailbox.deliver(TestSupport.message("4"))
        let changes = try await mailbox.listing().changes(since: before)
        #expect(changes.expunged == [2])
        #expect(changes.added.map(\.uid) == [4])
        #expect(changes.flagsChanged.map(\.uid) == [3] && changes.flagsChanged.first?.flags == [.seen])
        #expect(!changes.uidValidityChanged)
        var other = before
        other.uidValidity &+= 1
        #expect(try await mailbox.listing().changes(since: other).uidValidityChanged)
    }

    @Test func modifiedUTF7RoundTrips() {
        for name in ["Überblick", "日本語", "a&b", "plain", "mixed ascii 日本 and & more"] {
            let encoded = FolderName.modifiedUTF7(name)
            #expect(FolderName.decodeModifiedUTF7(encoded) == name, "\(name) → \(encoded)")
        }
        #expect(FolderName.modifiedUTF7("日本語") == "&ZeVnLIqe-")
        #expect(FolderName.decodeModifiedUTF7("&ZeVnLIqe-") == "日本語")
        #expect(FolderName.decodeModifiedUTF7("&-") == "&")
        #expect(FolderName.decodeModifiedUTF7("&ZeV") == nil)
        #expect(FolderName.decodeModifiedUTF7("&!!-") == nil)
    }
}
