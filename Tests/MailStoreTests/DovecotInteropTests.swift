import Foundation
@testable import MailStore
import ShoalTestFixtures
import Testing

/// A throwaway Dovecot configuration over one Maildir, driven through `doveadm` as the unprivileged user 65534.
struct Dovecot {
    static let doveadm = "/usr/bin/doveadm"
    static let mailUser = FilePermissions.Owner(uid: 65534, gid: 65534)
    let directory: String
    let maildir: String

    /// Fails the calling test (never skips it) when Dovecot is not installed.
    static func require() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: doveadm),
            """
            doveadm not found at \(doveadm): the Dovecot interop tests need it. Install it with \
            `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-core dovecot-imapd`
            """)
    }

    init(directory: String, maildir: String) throws {
        try Self.require()
        self.directory = directory
        self.maildir = maildir
        try FileManager.default.createDirectory(atPath: directory + "/run", withIntermediateDirectories: true)
        try TestSupport.write(DovecotConfig.text(directory: directory, maildir: maildir, uid: Self.mailUser.uid, gid: Self.mailUser.gid),
                              to: directory + "/dovecot.conf")
    }

    /// Runs `doveadm -c <conf> <arguments>` for the Maildir's user, failing the test on a non-zero exit.
    @discardableResult
    func run(_ arguments: [String], input: [UInt8]? = nil) throws -> String {
        let result = try TestProcess.runBlocking(
            Self.doveadm, ["-c", directory + "/dovecot.conf"] + arguments, stdin: input.map { String(decoding: $0, as: UTF8.self) },
            environment: ["USER": "shoaltest", "HOME": maildir, "PATH": "/usr/bin:/bin"])
        try #require(result.status == 0, "doveadm \(arguments) failed (\(result.status)): \(result.stderr)")
        // Dovecot complains about files it finds odd (broken uidlist, bad names) on stderr or in its log.
        let log = TestSupport.text(directory + "/dovecot.log") ?? ""
        #expect(result.stderr.isEmpty && log.isEmpty, "doveadm \(arguments): \(result.stderr)\(log)")
        return result.stdout
    }

    /// `doveadm -f tab` output as one dictionary per row.
    func table(_ arguments: [String]) throws -> [[String: String]] {
        let lines = try run(["-f", "tab"] + arguments).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    /// UID → flags (without `\Recent`) as Dovecot sees the folder.
    func flags(folder: String = "INBOX") throws -> [UInt32: Set<String>] {
        var result: [UInt32: Set<String>] = [:]
        for row in try table(["fetch", "uid flags", "mailbox", folder, "all"]) {
            let uid = try #require(row["uid"].flatMap { UInt32($0) })
            result[uid] = Set((row["flags"] ?? "").split(separator: " ").map(String.init)).subtracting(["\\Recent"])
        }
        return result
    }
}

/// Shoal and Dovecot on the same Maildir: each sees the other's UIDs, flags, keywords and folders.
@Suite struct DovecotInteropTests {
    let root = TestSupport.makeDirectory("dovecot-interop")
    let owner = MailboxOwner(login: "shoaltest", domain: "example.com")

    func store(_ hostname: String = "node-a") -> MailStore {
        chmod(root, 0o755)  // mkdtemp makes it 0700; Dovecot runs as 65534
        return TestSupport.store(root: root + "/mail", hostname: hostname, permissions: FilePermissions(owner: Dovecot.mailUser))
    }

    static func imapFlags(_ message: StoredMessage) -> Set<String> {
        let names: [MailFlag: String] = [.seen: "\\Seen", .flagged: "\\Flagged", .replied: "\\Answered",
                                         .trashed: "\\Deleted", .draft: "\\Draft"]
        return Set(message.flags.compactMap { names[$0] } + message.keywords)
    }

    @Test func dovecotSeesShoalsUIDsAndFlags() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("plain"))
        _ = try await mailbox.deliver(TestSupport.message("flagged"), flags: [.seen, .flagged], keywords: ["Work"])
        _ = try await mailbox.deliver(TestSupport.message("answered"), flags: [.replied], keywords: ["$Label1", "work"])
        let sent = try await mailbox.deliver(TestSupport.message("sent"), folder: "Sent", flags: [.seen])
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        let seen = try dovecot.flags()
        let listed = try await mailbox.messages()
        #expect(seen.count == 3)
        for message in listed { #expect(seen[message.uid] == Self.imapFlags(message), "uid \(message.uid)") }
        #expect(seen[2] == ["\\Seen", "\\Flagged", "Work"])
        #expect(try dovecot.flags(folder: "Sent") == [sent.uid: ["\\Seen"]])
        let status = try #require(try dovecot.table(["mailbox", "status", "uidvalidity uidnext messages", "INBOX"]).first)
        let listing = try await mailbox.listing()
        #expect(status["uidvalidity"] == "\(listing.uidValidity)" && status["uidnext"] == "4" && status["messages"] == "3")
        let folders = try dovecot.run(["mailbox", "list"]).split(separator: "\n").map(String.init)
        #expect(Set(folders) == ["INBOX", "Sent", "Drafts", "Trash", "Junk"])
        let subscribed = try dovecot.run(["mailbox", "list", "-s"]).split(separator: "\n").map(String.init)
        #expect(Set(subscribed) == ["Sent", "Drafts", "Trash", "Junk"])
        // Dovecot touching the files (new/ → cur/, renames) keeps Shoal's view of them.
        try dovecot.run(["flags", "add", "\\Answered", "mailbox", "INBOX", "uid", "1"])
        let after = try await mailbox.messages()
        #expect(after.map(\.uid) == [1, 2, 3] && after[0].flags == [.replied])
        #expect(try await mailbox.deliver(TestSupport.message("after dovecot")).uid == 4)
        #expect(try dovecot.flags().keys.sorted() == [1, 2, 3, 4])
    }

    @Test func shoalSeesDovecotsMessagesAndKeywords() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("from shoal"))
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        try dovecot.run(["save", "-m", "INBOX"], input: Array("Subject: from dovecot\r\n\r\nhi\r\n".utf8))
        try dovecot.run(["flags", "add", "\\Seen Urgent", "mailbox", "INBOX", "uid", "2"])
        try dovecot.run(["mailbox", "create", "Archive"])
        try dovecot.run(["save", "-m", "Archive"], input: Array("Subject: archived\r\n\r\nhi\r\n".utf8))
        let listed = try await mailbox.messages()
        #expect(listed.map(\.uid) == [1, 2])
        #expect(listed[1].flags == [.seen] && listed[1].keywords == ["Urgent"])
        // Dovecot stores LF line ends; S= and W= say so, and Shoal reads them back.
        #expect(FileManager.default.contents(atPath: listed[1].path) == Data("Subject: from dovecot\n\nhi\n".utf8))
        #expect(listed[1].size == 26 && listed[1].virtualSize == 29)
        let archived = try await mailbox.messages(folder: "Archive")
        let archiveStatus = try #require(try dovecot.table(["mailbox", "status", "uidvalidity", "Archive"]).first)
        #expect(archived.map(\.uid) == [1])
        #expect(try await mailbox.listing(folder: "Archive").uidValidity == UInt32(archiveStatus["uidvalidity"] ?? ""))
        // Keyword letters Dovecot assigned are reused by Shoal.
        let next = try await mailbox.deliver(TestSupport.message("urgent too"), keywords: ["Urgent", "Later"])
        #expect(next.uid == 3 && next.filename.hasSuffix(":2,ab"))
        #expect(try dovecot.flags()[3] == ["Urgent", "Later"])
        _ = try await mailbox.deliver(TestSupport.message("archive"), folder: "Archive")
        #expect(try dovecot.flags(folder: "Archive").keys.sorted() == [1, 2])
    }

    @Test func shoalAndDovecotDeliverConcurrently() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try store().mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("creates the tree"))
        let dovecot = try Dovecot(directory: root + "/dovecot", maildir: mailbox.path)
        let dovecotSaves = 12, shoalDeliveries = 40
        let script = """
            i=0; while [ $i -lt \(dovecotSaves) ]; do
              printf 'Subject: dovecot %s\\r\\n\\r\\nbody\\r\\n' $i | \(Dovecot.doveadm) -c \(dovecot.directory)/dovecot.conf save -m INBOX 2>&1 || exit 1
              i=$((i+1)); done
            """
        async let saving = TestProcess.run(
            "/bin/sh", ["-c", script], environment: ["USER": "shoaltest", "HOME": mailbox.path, "PATH": "/usr/bin:/bin"])
        let other = try store("node-b").mailbox(for: owner)
        let delivered = try await withThrowingTaskGroup(of: UInt32.self) { group in
            for index in 0..<shoalDeliveries {
                let target = index % 2 == 0 ? mailbox : other
                group.addTask { try await target.deliver(TestSupport.message("shoal \(index)")).uid }
            }
            var uids: [UInt32] = []
            for try await uid in group { uids.append(uid) }
            return uids
        }
        let saved = try await saving
        #expect(saved.status == 0 && saved.stdout.isEmpty, "\(saved.stdout)\(saved.stderr)")
        #expect(Set(delivered).count == shoalDeliveries)
        // Dovecot's own saves may leave a file without a uidlist record when the lock is busy (three
        // concurrent `doveadm save` loops do the same); the next sync, Dovecot's or Shoal's, gives it a UID.
        let total = 1 + dovecotSaves + shoalDeliveries
        let listed = try await mailbox.messages()
        #expect(listed.count == total && Set(listed.map(\.uid)).count == total)
        #expect(Set(delivered).isSubset(of: Set(listed.map(\.uid))))
        try ConcurrencyTests.verifyFolder(mailbox.path, count: total, contiguous: false)
        // Both sides agree on every UID → file.
        var dovecotView: [UInt32: String] = [:]
        for row in try dovecot.table(["fetch", "uid guid", "mailbox", "INBOX", "all"]) {
            dovecotView[UInt32(row["uid"] ?? "") ?? 0] = row["guid"]
        }
        var shoalView: [UInt32: String] = [:]
        for message in listed { shoalView[message.uid] = MaildirName(parsing: message.filename).base }
        #expect(dovecotView == shoalView)
    }
}
