import Foundation
@testable import MailStore
import Testing

/// Maildir++ quota: the `maildirsize` file, refusal that leaves nothing behind, recalculation.
@Suite struct QuotaTests {
    let root = TestSupport.makeDirectory()

    func snapshot(_ path: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for sub in ["tmp", "new", "cur"] { result[sub] = TestSupport.entries(path + "/" + sub) }
        return result
    }

    @Test func maildirsizeIsKeptPerDelivery() async throws {
        defer { TestSupport.cleanUp(root) }
        let owner = MailboxOwner(login: "q", domain: "d", quotaBytes: 1000, quotaMessages: 10)
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        let first = try await mailbox.deliver(Array(repeating: 65, count: 100))
        let second = try await mailbox.deliver(Array(repeating: 66, count: 50), folder: "Sent")
        #expect(first.size == 100 && second.size == 50)
        #expect(TestSupport.text(mailbox.path + "/maildirsize") == "1000S,10C\n0 0\n100 1\n50 1\n")
        #expect(try await mailbox.usage() == QuotaUsage(bytes: 150, messages: 2, limitBytes: 1000, limitMessages: 10))
    }

    @Test func overQuotaWritesNothing() async throws {
        defer { TestSupport.cleanUp(root) }
        let owner = MailboxOwner(login: "q", domain: "d", quotaBytes: 100)
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        _ = try await mailbox.deliver(Array(repeating: 65, count: 60))
        let files = snapshot(mailbox.path)
        let sizeFile = TestSupport.text(mailbox.path + "/maildirsize")
        #expect(sizeFile == "100S\n0 0\n60 1\n")
        await #expect(throws: MailStoreError.quotaExceeded(
            path: mailbox.path, usage: QuotaUsage(bytes: 60, messages: 1, limitBytes: 100), messageSize: 50)
        ) {
            try await mailbox.deliver(Array(repeating: 66, count: 50))
        }
        #expect(snapshot(mailbox.path) == files)
        #expect(TestSupport.text(mailbox.path + "/maildirsize") == sizeFile)
        #expect(try await mailbox.messages().count == 1)
        // The refusal is decided before anything is written, even for a mailbox that does not exist yet.
        let fresh = try TestSupport.store(root: root).mailbox(for: MailboxOwner(login: "new", domain: "d", quotaBytes: 10))
        await #expect(throws: MailStoreError.self) { try await fresh.deliver(Array(repeating: 65, count: 11)) }
        #expect(!FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test func messageCountLimitUnderConcurrency() async throws {
        defer { TestSupport.cleanUp(root) }
        let owner = MailboxOwner(login: "q", domain: "d", quotaMessages: 5)
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        let results = await withTaskGroup(of: Result<UInt32, MailStoreError>.self) { group in
            for index in 0..<12 {
                group.addTask {
                    do throws(MailStoreError) {
                        return .success(try await mailbox.deliver(TestSupport.message("c\(index)")).uid)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Result<UInt32, MailStoreError>] = []
            for await result in group { all.append(result) }
            return all
        }
        let uids = results.compactMap { try? $0.get() }.sorted()
        #expect(uids == [1, 2, 3, 4, 5])
        for case .failure(let error) in results {
            guard case .quotaExceeded(_, let usage, _) = error else { Issue.record("\(error)"); continue }
            #expect(usage.messages == 5 && usage.limitMessages == 5)
        }
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
        #expect(TestSupport.entries(mailbox.path + "/new").count == 5)
    }

    @Test func largeOrStaleMaildirsizeIsRecalculated() async throws {
        defer { TestSupport.cleanUp(root) }
        let owner = MailboxOwner(login: "q", domain: "d", quotaBytes: 10_000)
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        _ = try await mailbox.deliver(Array(repeating: 65, count: 100))
        // Over 5120 bytes of lines that claim far too much: recounted from the tree.
        let bogus = "10000S\n" + String(repeating: "9 0\n", count: 2000)
        try TestSupport.write(bogus, to: mailbox.path + "/maildirsize")
        _ = try await mailbox.deliver(Array(repeating: 65, count: 200))
        #expect(TestSupport.text(mailbox.path + "/maildirsize") == "10000S\n100 1\n200 1\n")
        // A changed limit also means recounting.
        let bigger = try TestSupport.store(root: root).mailbox(for: MailboxOwner(login: "q", domain: "d", quotaMessages: 9))
        _ = try await bigger.deliver(Array(repeating: 65, count: 1))
        #expect(TestSupport.text(mailbox.path + "/maildirsize") == "9C\n300 2\n1 1\n")
        // Claiming to be over quota in an old file: checked against the tree before refusing.
        try TestSupport.write("9C\n300 9\n", to: mailbox.path + "/maildirsize")
        TestSupport.age(mailbox.path + "/maildirsize", seconds: 3600)
        _ = try await bigger.deliver(Array(repeating: 65, count: 1))
        #expect(TestSupport.text(mailbox.path + "/maildirsize") == "9C\n301 3\n1 1\n")
    }

    @Test func usageWithoutQuotaCountsTheTree() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: MailboxOwner(login: "n", domain: "d"))
        _ = try await mailbox.deliver(Array(repeating: 65, count: 10))
        _ = try await mailbox.deliver(Array(repeating: 65, count: 20), folder: "Trash", flags: [.seen])
        #expect(try await mailbox.usage() == QuotaUsage(bytes: 30, messages: 2))
        #expect(!FileManager.default.fileExists(atPath: mailbox.path + "/maildirsize"))
    }
}
