import Foundation
@testable import MailStore
import Testing

/// Delivery into a fresh Maildir++ tree: layout, names, uidlist, flags and keywords, folders, failures.
@Suite struct DeliveryTests {
    let root = TestSupport.makeDirectory()
    var bob: MailboxOwner { MailboxOwner(login: "Bob", domain: "Example.COM") }

    @Test func deliveryCreatesTreeAndVisibleFile() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root, hostname: "mx/1:a").mailbox(for: bob)
        #expect(mailbox.path == root + "/example.com/bob")
        let bytes = TestSupport.message("one", body: "line 1\nline 2\r\n")
        let delivered = try await mailbox.deliver(bytes)
        #expect(delivered.uid == 1 && delivered.size == UInt64(bytes.count))
        #expect(delivered.virtualSize == UInt64(bytes.count + 5))  // five bare LFs
        for sub in ["cur", "new", "tmp"] { #expect(TestSupport.entries(mailbox.path).contains(sub)) }
        for folder in [".Sent", ".Drafts", ".Trash", ".Junk"] {
            #expect(TestSupport.entries(mailbox.path + "/" + folder) == ["cur", "maildirfolder", "new", "tmp"])
            let marker = try FileManager.default.attributesOfItem(atPath: mailbox.path + "/" + folder + "/maildirfolder")
            #expect(marker[.size] as? Int == 0)
        }
        #expect(TestSupport.text(mailbox.path + "/subscriptions") == "V\t2\n\nSent\nDrafts\nTrash\nJunk\n")
        let files = TestSupport.entries(mailbox.path + "/new")
        #expect(files == [delivered.filename])
        let pattern = #/^\d+\.M\d+P\d+Q\d+\.mx\\0571\\072a,S=(\d+),W=(\d+)$/#
        let match = try #require(delivered.filename.wholeMatch(of: pattern))
        #expect(Int(match.1) == bytes.count && Int(match.2) == bytes.count + 5)
        #expect(FileManager.default.contents(atPath: delivered.path) == Data(bytes))
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
        #expect(TestSupport.entries(mailbox.path + "/cur").isEmpty)
    }

    @Test func uidlistIsDovecotVersion3() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        var delivered: [DeliveredMessage] = []
        for index in 0..<4 {
            delivered.append(try await mailbox.deliver(
                TestSupport.message("m\(index)"), flags: index == 2 ? [.seen] : []))
        }
        let text = try #require(TestSupport.text(mailbox.path + "/dovecot-uidlist"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "" && lines.count == 6)
        let header = try #require(lines.first?.wholeMatch(of: #/3 V(\d+) N(\d+) G([0-9a-f]{32})/#))
        #expect(UInt32(header.1) == delivered[0].uidValidity)
        #expect(UInt32(header.2) == 2)  // written with the first message; later ones appended
        for (line, message) in zip(lines.dropFirst().dropLast(), delivered) {
            let base = message.filename.split(separator: ":").first.map(String.init) ?? ""
            #expect(line == "\(message.uid) :\(base)")
        }
        #expect(delivered.map(\.uid) == [1, 2, 3, 4])
        #expect(delivered[2].filename.hasSuffix(":2,S") && delivered[2].path.contains("/cur/"))
        let parsed = try UIDList.parse(Array(text.utf8), path: "uidlist")
        #expect(parsed.records.map(\.uid) == [1, 2, 3, 4] && parsed.nextUID == 5)
        let listed = try await mailbox.messages()
        #expect(listed.map(\.uid) == [1, 2, 3, 4])
        #expect(listed.map(\.path) == delivered.map(\.path))
        #expect(listed[2].flags == [.seen] && !listed[2].isNew && listed[0].isNew)
    }

    @Test func flagsAndKeywords() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        let first = try await mailbox.deliver(
            TestSupport.message("k1"), flags: [.seen, .flagged], keywords: ["$Forwarded", "Work"])
        #expect(first.filename.hasSuffix(":2,FSab"))
        #expect(TestSupport.text(mailbox.path + "/dovecot-keywords") == "0 $Forwarded\n1 Work\n")
        let second = try await mailbox.deliver(TestSupport.message("k2"), keywords: ["Junk", "work", "Junk"])
        #expect(second.filename.hasSuffix(":2,bc"))
        #expect(TestSupport.text(mailbox.path + "/dovecot-keywords") == "0 $Forwarded\n1 Work\n2 Junk\n")
        let listed = try await mailbox.messages()
        #expect(listed.map(\.keywords) == [["$Forwarded", "Work"], ["Work", "Junk"]])
        #expect(listed.map(\.flags) == [[.seen, .flagged], []])
        await #expect(throws: MailStoreError.invalidKeyword(keyword: "\\Seen", reason:
            "system flags (\\Seen ...) are MailFlag values, not keywords")) {
            try await mailbox.deliver(TestSupport.message("bad"), keywords: ["\\Seen"])
        }
        let many = (0..<26).map { "kw\($0)" }
        await #expect(throws: MailStoreError.tooManyKeywords(path: mailbox.path + "/dovecot-keywords", keyword: "kw23")) {
            try await mailbox.deliver(TestSupport.message("full"), keywords: many)
        }
        #expect(try await mailbox.messages().count == 2)
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
    }

    @Test func foldersAreCreatedOnFirstDelivery() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        let archived = try await mailbox.deliver(TestSupport.message("a"), folder: "Archive/2024")
        #expect(archived.uid == 1 && archived.path.hasPrefix(mailbox.path + "/.Archive.2024/new/"))
        #expect(TestSupport.entries(mailbox.path + "/.Archive.2024") == ["cur", "dovecot-uidlist", "maildirfolder", "new", "tmp"])
        _ = try await mailbox.deliver(TestSupport.message("d"), folder: "Entwürfe")
        #expect(TestSupport.entries(mailbox.path).contains(".Entw&APw-rfe"))
        #expect(try await mailbox.messages(folder: "Archive.2024").map(\.uid) == [1])
        #expect(try await mailbox.messages().isEmpty)
        #expect(try await mailbox.messages(folder: "Sent").isEmpty)
        await #expect(throws: MailStoreError.noSuchFolder(name: "Nope", path: mailbox.path + "/.Nope")) {
            try await mailbox.messages(folder: "Nope")
        }
        await #expect(throws: MailStoreError.self) { try await mailbox.deliver(TestSupport.message("x"), folder: "A..B") }
        // Only the staging area was used: no leftovers in the root's tmp/.
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
    }

    @Test func explicitLocationWins() async throws {
        defer { TestSupport.cleanUp(root) }
        let owner = MailboxOwner(login: "carol", domain: "example.com", location: root + "/homes/carol/Maildir")
        let delivered = try await TestSupport.store(root: root + "/shared").mailbox(for: owner).deliver([65, 10])
        #expect(delivered.path.hasPrefix(root + "/homes/carol/Maildir/new/"))
        #expect(!FileManager.default.fileExists(atPath: root + "/shared"))
    }

    @Test func fileLeftInTmpIsNotAMessage() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        _ = try await mailbox.deliver(TestSupport.message("kept"))
        // As after a crash before the rename: a complete or partial file in tmp/.
        try TestSupport.write("From: half", to: mailbox.path + "/tmp/1700000000.M1P1Q1.crashed,S=99,W=100")
        let listed = try await mailbox.messages()
        #expect(listed.count == 1 && listed[0].uid == 1)
        #expect(try await mailbox.usage().messages == 1)
    }

    @Test func fileWithoutUIDGetsOneLikeDovecotSync() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        // As after a crash between the rename into new/ and the uidlist record, or a plain Maildir writer.
        try TestSupport.write("Subject: x\n\n", to: mailbox.path + "/new/1800000000.M5P5Q5.other,S=12,W=14")
        try TestSupport.write("Subject: y\n\n", to: mailbox.path + "/cur/1700000000.M5P5Q5.other:2,S")
        let listed = try await mailbox.messages()
        #expect(listed.map(\.uid) == [1, 2, 3])
        #expect(listed[1].filename == "1700000000.M5P5Q5.other:2,S" && listed[1].size == 12)
        #expect(listed[2].filename == "1800000000.M5P5Q5.other,S=12,W=14")
        let text = try #require(TestSupport.text(mailbox.path + "/dovecot-uidlist"))
        #expect(text.hasSuffix("2 :1700000000.M5P5Q5.other\n3 :1800000000.M5P5Q5.other,S=12,W=14\n"))
        #expect(try await mailbox.deliver(TestSupport.message("next")).uid == 4)
    }

    @Test func interruptedUidlistAppendIsRepaired() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let handle = try #require(FileHandle(forWritingAtPath: mailbox.path + "/dovecot-uidlist"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2 :half-writ".utf8))
        try handle.close()
        let second = try await mailbox.deliver(TestSupport.message("second"))
        #expect(second.uid == 2)
        let text = try #require(TestSupport.text(mailbox.path + "/dovecot-uidlist"))
        let list = try UIDList.parse(Array(text.utf8), path: "uidlist")
        #expect(list.records.map(\.uid) == [1, 2] && list.canAppend && !text.contains("half-writ"))
    }

    @Test func failedDeliveryLeavesNoFileVisible() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: bob)
        let kept = try await mailbox.deliver(TestSupport.message("kept"), flags: [.seen])
        let uidlistBefore = TestSupport.text(mailbox.path + "/dovecot-uidlist")
        // new/ unusable (we run as root, so permissions would not stop us): a file where the directory was.
        try FileManager.default.removeItem(atPath: mailbox.path + "/new")
        try TestSupport.write("not a directory", to: mailbox.path + "/new")
        do {
            _ = try await mailbox.deliver(TestSupport.message("lost"))
            Issue.record("delivery into a broken new/ succeeded")
        } catch {
            guard case .io(let operation, let path, let code) = error else { Issue.record("\(error)"); return }
            #expect(operation.hasPrefix("rename to " + mailbox.path + "/new/") && code == ENOTDIR)
            #expect(path.hasPrefix(mailbox.path + "/tmp/"))
            #expect(error.description.contains("Not a directory"))
        }
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
        #expect(TestSupport.entries(mailbox.path + "/cur") == [kept.filename])
        #expect(TestSupport.text(mailbox.path + "/dovecot-uidlist") == uidlistBefore)
        #expect(!FileManager.default.fileExists(atPath: mailbox.path + "/dovecot-uidlist.lock"))
        #expect(try await mailbox.messages().map(\.uid) == [1])
    }

    @Test func invalidOwnerIsRejected() {
        let store = TestSupport.store(root: root)
        defer { TestSupport.cleanUp(root) }
        #expect(throws: MailStoreError.invalidOwner(login: "a/b", reason: "user name \"a/b\" cannot name a directory")) {
            try store.mailbox(for: MailboxOwner(login: "a/b", domain: "d"))
        }
    }

    @Test func severalRecipientsEachGetACopy() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root)
        let owners = [bob, MailboxOwner(login: "ann", domain: "example.com"), MailboxOwner(login: "x/y")]
        let results = await store.deliver(TestSupport.message("all"), to: owners)
        #expect(try results[0].get().uid == 1 && results[1].get().uid == 1)
        #expect(try results[0].get().path.hasPrefix(root + "/example.com/bob/new/"))
        #expect(try results[1].get().path.hasPrefix(root + "/example.com/ann/new/"))
        guard case .failure(.invalidOwner) = results[2] else { Issue.record("\(results[2])"); return }
    }
}
