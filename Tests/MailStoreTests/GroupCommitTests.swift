import Foundation
@testable import MailStore
import Testing

/// In-process queueing and group commit: many deliveries to one folder share lock holds, get unique UIDs,
/// and each is checked against the quota on its own.
@Suite struct GroupCommitTests {
    let root = TestSupport.makeDirectory()
    let owner = MailboxOwner(login: "group", domain: "example.com")

    /// How long deliveries wait for the test's foreign lock: the test removes it once they are queued, which a
    /// full parallel run can delay for tens of seconds (the store's 30 s default would then fail them).
    static let foreignLockPatience = Duration.seconds(3600)

    /// Waits until `count` jobs wait in the folder's commit queue.
    static func waitUntilQueued(_ store: MailStore, _ path: String, count: Int) async throws {
        let clock = ContinuousClock(), start = clock.now
        while store.commitQueues.queuedCount(uidlistPath: path + "/dovecot-uidlist") < count {
            // Generous: a full parallel test run can stall this task for many seconds.
            guard clock.now - start < .seconds(120) else {
                Issue.record("only \(store.commitQueues.queuedCount(uidlistPath: path + "/dovecot-uidlist")) queued")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func hundredConcurrentDeliveriesGetUIDsOneToHundred() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root)
        let mailbox = try store.mailbox(for: owner)
        let delivered = try await withThrowingTaskGroup(of: DeliveredMessage.self) { group in
            for number in 0..<100 {
                group.addTask {
                    try await mailbox.deliver(TestSupport.message("m\(number)"), flags: number % 4 == 0 ? [.seen] : [])
                }
            }
            var all: [DeliveredMessage] = []
            for try await message in group { all.append(message) }
            return all
        }
        #expect(delivered.map(\.uid).sorted() == (1...100).map { UInt32($0) })
        #expect(Set(delivered.map(\.path)).count == 100 && Set(delivered.map(\.uidValidity)).count == 1)
        try ConcurrencyTests.verifyFolder(mailbox.path, count: 100)
        // Each delivery's UID names its own file in the uidlist.
        let list = try UIDList.parse(Array(try #require(TestSupport.text(mailbox.path + "/dovecot-uidlist")).utf8), path: "")
        let byUID = Dictionary(uniqueKeysWithValues: list.records.map { ($0.uid, $0.filename) })
        for message in delivered { #expect(byUID[message.uid] == message.filename.split(separator: ":").first.map(String.init)) }
        for message in delivered {
            #expect(TestSupport.text(message.path)?.contains("Subject: m") == true)
        }
        let statistics = store.commitQueues.statistics
        #expect(statistics.deliveries == 100)
        #expect(statistics.groups < 100, "no two deliveries shared a lock hold: \(statistics)")
        #expect(try await mailbox.messages().map(\.uid) == (1...100).map { UInt32($0) })
    }

    @Test func deliveriesQueuedBehindAForeignLockCommitInOneHold() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, lockTimeout: Self.foreignLockPatience)
        let mailbox = try store.mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let lock = mailbox.path + "/dovecot-uidlist.lock"
        try TestSupport.write("1:other-node", to: lock)
        let tasks = (0..<20).map { number in
            Task { try await mailbox.deliver(TestSupport.message("queued \(number)")) }
        }
        try await Self.waitUntilQueued(store, mailbox.path, count: 20)
        let before = store.commitQueues.statistics
        try FileManager.default.removeItem(atPath: lock)
        var uids: [UInt32] = []
        for task in tasks { uids.append(try await task.value.uid) }
        #expect(uids.sorted() == (2...21).map { UInt32($0) })
        let after = store.commitQueues.statistics
        #expect(after.groups == before.groups + 1 && after.largestGroup == 20)
        try ConcurrencyTests.verifyFolder(mailbox.path, count: 21)
        // The group's records were appended in one piece after the first one.
        let text = try #require(TestSupport.text(mailbox.path + "/dovecot-uidlist"))
        #expect(text.split(separator: "\n").count == 22)
    }

    @Test func overQuotaMessageInAGroupFailsAlone() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, lockTimeout: Self.foreignLockPatience)
        let quotaOwner = MailboxOwner(login: "q", domain: "example.com", quotaBytes: 1000)
        let mailbox = try store.mailbox(for: quotaOwner)
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: mailbox.path + "/" + sub, withIntermediateDirectories: true)
        }
        let lock = mailbox.path + "/dovecot-uidlist.lock"
        try TestSupport.write("1:other-node", to: lock)
        // Queued in this order; each passes the pre-check alone, together they do not fit.
        let sizes = [400, 700, 500, 100]
        var tasks: [Task<DeliveredMessage, any Error>] = []
        for (index, size) in sizes.enumerated() {
            tasks.append(Task { try await mailbox.deliver(Array(repeating: UInt8(65 + index), count: size)) })
            try await Self.waitUntilQueued(store, mailbox.path, count: index + 1)
        }
        try FileManager.default.removeItem(atPath: lock)
        var results: [Result<DeliveredMessage, MailStoreError>] = []
        for task in tasks {
            do { results.append(.success(try await task.value)) } catch { results.append(.failure(error as! MailStoreError)) }
        }
        #expect(store.commitQueues.statistics.largestGroup == 4)
        #expect(try results[0].get().uid == 1 && results[2].get().uid == 2 && results[3].get().uid == 3)
        #expect(results[1] == .failure(.quotaExceeded(
            path: mailbox.path, usage: QuotaUsage(bytes: 400, messages: 1, limitBytes: 1000), messageSize: 700)))
        // Exact usage: the three that fit (400 + 500 + 100), nothing of the refused one anywhere.
        #expect(try await mailbox.usage() == QuotaUsage(bytes: 1000, messages: 3, limitBytes: 1000))
        #expect(TestSupport.text(mailbox.path + "/maildirsize") == "1000S\n0 0\n1000 3\n")
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
        try ConcurrencyTests.verifyFolder(mailbox.path, count: 3)
        let sizesStored = try await mailbox.messages().map(\.size)
        #expect(sizesStored == [400, 500, 100])
        // Full now: the next one is refused at the pre-check.
        await #expect(throws: MailStoreError.self) { try await mailbox.deliver([65]) }
    }

    @Test func messageLimitAcrossAGroup() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root)
        let mailbox = try store.mailbox(for: MailboxOwner(login: "q", domain: "example.com", quotaMessages: 5))
        let first = try await mailbox.deliver(TestSupport.message("first"))
        let lock = mailbox.path + "/dovecot-uidlist.lock"
        try TestSupport.write("1:other-node", to: lock)
        let tasks = (0..<6).map { number in
            Task { () -> Result<DeliveredMessage, MailStoreError> in
                do throws(MailStoreError) {
                    return .success(try await mailbox.deliver(
                        TestSupport.message("n\(number)", body: String(repeating: "x", count: number))))
                } catch {
                    return .failure(error)
                }
            }
        }
        try await Self.waitUntilQueued(store, mailbox.path, count: 6)
        try FileManager.default.removeItem(atPath: lock)
        var delivered: [DeliveredMessage] = [], refused = 0
        for task in tasks {
            switch await task.value {
            case .success(let message): delivered.append(message)
            case .failure(.quotaExceeded(_, let usage, _)):
                refused += 1
                #expect(usage.messages == 5)
            case .failure(let error): Issue.record("\(error)")
            }
        }
        #expect(delivered.count == 4 && refused == 2)
        #expect(delivered.map(\.uid).sorted() == [2, 3, 4, 5])
        let bytes = ([first] + delivered).map(\.size).reduce(0, +)
        #expect(try await mailbox.usage() == QuotaUsage(bytes: bytes, messages: 5, limitMessages: 5))
        try ConcurrencyTests.verifyFolder(mailbox.path, count: 5)
    }

    @Test func listingTakesItsTurnWithDeliveries() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root)
        let mailbox = try store.mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        // A file without a UID (another Maildir writer): listings assign it one while deliveries go on.
        try TestSupport.write("Subject: x\n\n", to: mailbox.path + "/new/1700000000.M1P1Q1.other,S=12,W=14")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<40 {
                group.addTask { _ = try await mailbox.deliver(TestSupport.message("d\(number)")) }
                if number % 10 == 0 { group.addTask { _ = try await mailbox.messages() } }
            }
            try await group.waitForAll()
        }
        try ConcurrencyTests.verifyFolder(mailbox.path, count: 42)
        #expect(try await mailbox.messages().map(\.uid) == (1...42).map { UInt32($0) })
    }

    @Test func cancelledQueuedDeliveryLeavesTheOthersAlone() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, lockTimeout: Self.foreignLockPatience)
        let mailbox = try store.mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let lock = mailbox.path + "/dovecot-uidlist.lock"
        try TestSupport.write("1:other-node", to: lock)
        let tasks = (0..<3).map { number in Task { try await mailbox.deliver(TestSupport.message("q\(number)")) } }
        try await Self.waitUntilQueued(store, mailbox.path, count: 3)
        tasks[1].cancel()
        guard case .failure(let error as MailStoreError) = await tasks[1].result, case .cancelled = error else {
            Issue.record("the cancelled delivery did not fail as cancelled")
            return
        }
        #expect(store.commitQueues.queuedCount(uidlistPath: mailbox.path + "/dovecot-uidlist") == 2)
        try FileManager.default.removeItem(atPath: lock)
        let uids = [try await tasks[0].value.uid, try await tasks[2].value.uid]
        #expect(uids.sorted() == [2, 3])
        try ConcurrencyTests.verifyFolder(mailbox.path, count: 3)
    }
}
