import Foundation
@testable import MailStore
import ShoalTestFixtures
import Testing

/// Several writers on one mailbox: unique UIDs, a valid uidlist, and the dotlock's stale and timeout rules.
@Suite struct ConcurrencyTests {
    let root = TestSupport.makeDirectory()
    let owner = MailboxOwner(login: "busy", domain: "example.com")

    /// Checks that the uidlist parses, has `count` records (UIDs 1...count when `contiguous`), and every record
    /// has exactly one file and every file a record; no lock or staged file is left.
    static func verifyFolder(_ path: String, count: Int, contiguous: Bool = true) throws {
        let text = try #require(TestSupport.text(path + "/dovecot-uidlist"))
        let list = try UIDList.parse(Array(text.utf8), path: path)
        #expect(list.canAppend)
        #expect(list.records.count == count)
        if contiguous { #expect(list.records.map(\.uid) == (1...UInt32(count)).map { $0 }) }
        let files = (TestSupport.entries(path + "/new") + TestSupport.entries(path + "/cur"))
            .map { String($0.split(separator: ":")[0]) }
        #expect(Set(files) == Set(list.records.map(\.filename)) && files.count == count)
        #expect(TestSupport.entries(path + "/tmp").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path + "/dovecot-uidlist.lock"))
    }

    @Test func manyTasksOnTwoNodesGetUniqueUIDs() async throws {
        defer { TestSupport.cleanUp(root) }
        let nodes = ["node-a", "node-b"].map { TestSupport.store(root: root, hostname: $0) }
        let perNode = 40
        let uids = try await withThrowingTaskGroup(of: DeliveredMessage.self) { group in
            for (index, store) in nodes.enumerated() {
                let mailbox = try store.mailbox(for: owner)
                for number in 0..<perNode {
                    group.addTask {
                        try await mailbox.deliver(
                            TestSupport.message("\(index)-\(number)"), flags: number % 3 == 0 ? [.seen] : [],
                            keywords: number % 5 == 0 ? ["Node\(index)"] : [])
                    }
                }
            }
            var all: [DeliveredMessage] = []
            for try await delivered in group { all.append(delivered) }
            return all
        }
        #expect(Set(uids.map(\.uid)) == Set((1...UInt32(2 * perNode)).map { $0 }))
        #expect(Set(uids.map(\.uidValidity)).count == 1)
        let path = try nodes[0].mailbox(for: owner).path
        try Self.verifyFolder(path, count: 2 * perNode)
        let listed = try await nodes[1].mailbox(for: owner).messages()
        #expect(listed.map(\.uid) == (1...UInt32(2 * perNode)).map { $0 })
        #expect(Set(listed.flatMap(\.keywords)) == ["Node0", "Node1"])
        #expect(TestSupport.text(path + "/dovecot-keywords").map { $0.split(separator: "\n").count } == 2)
    }

    @Test func separateProcessesGetUniqueUIDs() async throws {
        defer { TestSupport.cleanUp(root) }
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let children = 3, perProcess = 30
        let spawned = (0..<children).map { index in
            Task {
                try await TestProcess.run(
                    executable, ["--testing-library", "swift-testing", "--filter", "ConcurrencyTests/childProcessDeliveries"],
                    environment: ProcessInfo.processInfo.environment.merging(
                        ["MAILSTORE_CHILD_ROOT": root, "MAILSTORE_CHILD_COUNT": "\(perProcess)",
                         "MAILSTORE_CHILD_TAG": "child\(index)"]) { $1 }, timeout: 600)
            }
        }
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        for number in 0..<perProcess { _ = try await mailbox.deliver(TestSupport.message("parent \(number)")) }
        for child in spawned {
            let result = try await child.value
            #expect(result.status == 0, "child test run failed:\n\(result.stdout)\(result.stderr)")
        }
        try Self.verifyFolder(mailbox.path, count: (children + 1) * perProcess)
        let pids = Set(TestSupport.entries(mailbox.path + "/new").compactMap { $0.firstMatch(of: #/P(\d+)Q/#)?.1 })
        #expect(pids.count == children + 1)
    }

    /// The body of `separateProcessesGetUniqueUIDs`'s child processes; without their environment it does nothing.
    @Test func childProcessDeliveries() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["MAILSTORE_CHILD_ROOT"] else { return }
        let count = Int(environment["MAILSTORE_CHILD_COUNT"] ?? "") ?? 10, tag = environment["MAILSTORE_CHILD_TAG"] ?? "child"
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<5 {
                group.addTask {
                    for number in stride(from: worker, to: count, by: 5) {
                        _ = try await mailbox.deliver(TestSupport.message("\(tag) \(number)"))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func staleLockIsTakenOver() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, lockTimeout: .seconds(5), staleLockTimeout: .seconds(120))
        let mailbox = try store.mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let lock = mailbox.path + "/dovecot-uidlist.lock"
        try TestSupport.write("4242:elsewhere", to: lock)
        TestSupport.age(lock, seconds: 121)
        // The foreign lock never goes away: only taking it over lets this delivery succeed (waiting for it
        // would end in a lock timeout error). No timing assertion: the machine is shared and noisy.
        #expect(try await mailbox.deliver(TestSupport.message("second")).uid == 2)
        #expect(!FileManager.default.fileExists(atPath: lock))
    }

    @Test func lockOfDeadProcessOnThisHostIsTakenOver() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, hostname: "node-a", lockTimeout: .seconds(5))
        let mailbox = try store.mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let finished = try TestProcess("/bin/true", [])
        try await finished.wait()
        try TestSupport.write("\(finished.pid):node-a", to: mailbox.path + "/dovecot-uidlist.lock")
        #expect(try await mailbox.deliver(TestSupport.message("second")).uid == 2)
    }

    @Test func freshLockMakesDeliveryWaitThenTimeOut() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, lockTimeout: .milliseconds(400))
        let mailbox = try store.mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let lock = mailbox.path + "/dovecot-uidlist.lock"
        try TestSupport.write("1:other-node", to: lock)
        let uidlist = TestSupport.text(mailbox.path + "/dovecot-uidlist")
        let started = ContinuousClock.now
        do {
            _ = try await mailbox.deliver(TestSupport.message("blocked"))
            Issue.record("delivery ignored a fresh lock")
        } catch {
            guard case .lockTimeout(let path, let waited, let holder) = error else { Issue.record("\(error)"); return }
            #expect(path == lock && holder == "1:other-node" && waited >= .milliseconds(400))
            #expect(error.description.hasPrefix("lock \(lock): still held after "))
            #expect(error.description.hasSuffix(" by 1:other-node"))
        }
        #expect(ContinuousClock.now - started >= .milliseconds(400))
        #expect(TestSupport.entries(mailbox.path + "/new").count == 1)
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
        #expect(TestSupport.text(mailbox.path + "/dovecot-uidlist") == uidlist)
        #expect(TestSupport.text(lock) == "1:other-node")  // a live lock is never removed
        // Released by its holder while a delivery waits: that delivery goes through.
        let waiting = Task { try await TestSupport.store(root: root).mailbox(for: owner).deliver(TestSupport.message("later")) }
        try await Task.sleep(for: .milliseconds(150))
        try FileManager.default.removeItem(atPath: lock)
        #expect(try await waiting.value.uid == 2)
    }

    @Test func cancelledWaitLeavesNothing() async throws {
        defer { TestSupport.cleanUp(root) }
        let mailbox = try TestSupport.store(root: root).mailbox(for: owner)
        _ = try await mailbox.deliver(TestSupport.message("first"))
        try TestSupport.write("1:other-node", to: mailbox.path + "/dovecot-uidlist.lock")
        let waiting = Task { try await mailbox.deliver(TestSupport.message("never")) }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        let result = await waiting.result
        guard case .failure(let error as MailStoreError) = result, case .cancelled = error else {
            Issue.record("\(result)")
            return
        }
        #expect(TestSupport.entries(mailbox.path + "/tmp").isEmpty)
        #expect(TestSupport.entries(mailbox.path + "/new").count == 1)
    }
}

/// Issue 10 #2: the uidlist lock appears with its owner in it, so a crash can never leave an empty lock
/// that blocks the mailbox until it ages.
@Suite(.serialized) struct AtomicLockTests {
    let root = TestSupport.makeDirectory()
    let owner = MailboxOwner(login: "alice", domain: "example.com")

    /// What the lock path held at the moment a crash could strike (after the owner was written, before the
    /// lock was in place): with `open(O_EXCL)` then `write`, an empty file.
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var states: [String] = []
    }

    @Test func theLockNeverExistsWithoutItsOwner() async throws {
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, hostname: "node-a")
        let mailbox = try store.mailbox(for: owner)
        let lockPath = mailbox.path + "/dovecot-uidlist.lock"
        let seen = Seen()
        DotLock.beforeLink = { path, temporary in
            guard path == lockPath else { return }
            let content = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            let written = FileManager.default.contents(atPath: temporary).map { String(decoding: $0, as: UTF8.self) }
            seen.lock.withLock { seen.states.append("\(content ?? "absent") \(written ?? "-")") }
        }
        defer { DotLock.beforeLink = nil }
        _ = try await mailbox.deliver(TestSupport.message("one"))
        _ = try await mailbox.deliver(TestSupport.message("two"))
        #expect(!seen.states.isEmpty)
        // At the moment a crash could strike, the owner is in the file about to become the lock, and the lock
        // path does not exist yet.
        #expect(seen.states.allSatisfy { $0 == "absent \(getpid()):node-a" }, "\(seen.states)")
        // No temporary file is left beside the uidlist.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: mailbox.path).filter { $0.hasPrefix("dovecot-uidlist.lock") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}

/// Issue 10 #3: a message a crash left in new/ without a UID gets one from the next delivery of a restarted
/// node (not only from a reader's listing).
@Suite struct UIDRepairTests {
    let root = TestSupport.makeDirectory()
    let owner = MailboxOwner(login: "carol", domain: "example.com")

    @Test func theNextWriterNumbersMessagesACrashLeftWithoutAUID() async throws {
        defer { TestSupport.cleanUp(root) }
        let first = try TestSupport.store(root: root).mailbox(for: owner)
        _ = try await first.deliver(TestSupport.message("before the crash"))
        // What a crash between the rename into new/ and the uidlist append leaves behind.
        let orphan = "1796300000.M1P999Q1.crashed.example,S=20,W=20"
        try TestSupport.write("Subject: orphan\r\n\r\nx\r\n", to: first.path + "/new/" + orphan)
        // A restarted node: a new store, nothing cached.
        let restarted = try TestSupport.store(root: root).mailbox(for: owner)
        let delivered = try await restarted.deliver(TestSupport.message("after the restart"))
        let uidlist = TestSupport.text(first.path + "/dovecot-uidlist") ?? ""
        #expect(uidlist.contains("2 :1796300000.M1P999Q1.crashed.example"), "\(uidlist)")
        #expect(delivered.uid == 3)
        let uids = uidlist.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.flatMap { UInt32($0) } }
        #expect(uids == [1, 2, 3])
    }
}
