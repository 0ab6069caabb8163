import Directory
import Foundation
import Logging
import MailAccess
import MailStore
import NIOCore
import POP3Server
import Testing

/// The maildrop agent reads the next messages ahead after a RETR, and answers their RETRs from memory, byte
/// for byte what reading them would give; nothing is kept after the session ends. The read-ahead's bounds.
@Suite struct POP3ReadAheadTests {
    static func message(_ uid: UInt32, size: Int) -> StoredMessage {
        StoredMessage(uid: uid, filename: "m\(uid)", path: "/x/m\(uid)", size: UInt64(size), virtualSize: nil, flags: [],
                      keywords: [], isNew: false)
    }

    @Test func oneReadAtATimeWithinTheByteLimitRefilledWhenHalfUsed() {
        var ahead = POP3ReadAhead()
        let size = POP3ReadAhead.byteLimit / 10
        let following = (2...40).map { Self.message(UInt32($0), size: size) }
        let first = ahead.toRead(POP3Following(following))
        #expect(first.map(\.uid) == Array(2...11) && ahead.reading)  // the byte limit stops at ten
        #expect(ahead.toRead(POP3Following(following)).isEmpty)  // one read at a time
        ahead.finish(first.map { ($0.uid, ByteBuffer(repeating: 0x41, count: size)) })
        #expect(!ahead.reading && ahead.heldCount == 10)
        #expect(ahead.take(2)?.readableBytes == size && ahead.take(2) == nil)
        // More than half of the bytes still held: nothing more is read yet.
        #expect(ahead.toRead(POP3Following(Array(following.dropFirst(1)))).isEmpty)
        for uid in 3...6 { _ = ahead.take(UInt32(uid)) }
        #expect(ahead.heldCount == 5)
        // Refilled with what is not held, within what the held bytes leave of the limit.
        let refill: [UInt32] = ahead.toRead(POP3Following(Array(following.dropFirst(5)))).map(\.uid)
        #expect(refill == Array(12...16))
        // The count bounds it too: small messages, at most `candidates` of them.
        var small = POP3ReadAhead()
        #expect(small.toRead(POP3Following((1...200).map { Self.message(UInt32($0), size: 10) })).count == POP3ReadAhead.candidates)
        // A message larger than the limit is never read ahead; clear drops everything.
        var fresh = POP3ReadAhead()
        #expect(fresh.toRead(POP3Following([Self.message(1, size: POP3ReadAhead.byteLimit + 1)])).isEmpty && !fresh.reading)
        ahead.finish([])
        ahead.clear()
        #expect(ahead.heldCount == 0 && ahead.take(7) == nil)
    }

    /// The session's view of what follows a RETR: later messages only, deleted ones skipped, at most
    /// `candidates`, and the UID window the read ahead keeps what it holds within.
    @Test func followingSkipsDeletedMessagesAndStopsAtTheCandidates() {
        let maildrop = (1...100).map { POP3Message(stored: Self.message(UInt32($0 * 2), size: 10), size: 10, uidl: "") }
        let following = POP3Following(after: 3, in: maildrop, deleted: [4, 6, 90])
        let uids = following.map(\.uid)
        #expect(uids.count == POP3ReadAhead.candidates)
        #expect(uids.prefix(3) == [10, 14, 16])  // messages 5, 7, 8 (numbers 4 and 6 deleted)
        #expect(uids.last == 2 * UInt32(3 + POP3ReadAhead.candidates + 2))
        #expect(following.uidWindow == 10...uids.last!)
        let tail = POP3Following(after: 98, in: maildrop, deleted: [100])
        #expect(tail.map(\.uid) == [198] && tail.uidWindow == 198...198)
        #expect(POP3Following(after: 100, in: maildrop, deleted: []).isEmpty)
        #expect(POP3Following(after: 99, in: maildrop, deleted: [100]).uidWindow == nil)
    }

    /// RETRs answered by their own reads while the read ahead was still under way (a loaded machine) leave
    /// what it read behind the client: those are dropped, so reading ahead resumes (it once stopped for good).
    @Test func messagesTheClientWentPastAreDroppedSoReadingAheadResumes() {
        var ahead = POP3ReadAhead()
        let all = (1...300).map { Self.message(UInt32($0), size: 100) }
        let first = ahead.toRead(POP3Following(Array(all[1...])))
        #expect(first.map(\.uid) == Array(2...65))
        // RETR 2 … 65 came before the read finished; each was read on its own (take found nothing).
        for uid in 2...65 { #expect(ahead.take(UInt32(uid)) == nil) }
        ahead.finish(first.map { ($0.uid, ByteBuffer(repeating: 0x41, count: 100)) })
        #expect(ahead.heldCount == 64)
        // RETR 66: everything held is behind it, so it is dropped and the next messages are read.
        let next = ahead.toRead(POP3Following(Array(all[66...])))
        #expect(ahead.heldCount == 0 && next.map(\.uid) == Array(67...130))
        // A held message still ahead of the client stays.
        ahead.finish(next.map { ($0.uid, ByteBuffer(repeating: 0x42, count: 100)) })
        _ = ahead.toRead(POP3Following(Array(all[99...])))
        #expect(ahead.heldCount == 31 && ahead.take(100)?.readableBytes == 100 && ahead.take(99) == nil)
    }

    @Test func theNextRetrIsAnsweredFromMemoryWithTheSameBytes() async throws {
        let root = NSTemporaryDirectory() + "pop3-readahead-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = try await SQLiteDirectory.open(path: root + "/users.db")
        try await directory.add(DirectoryUser(login: "alice", addresses: ["alice@shoal.test"]), password: "pw")
        let store = MailStore(configuration: MailStoreConfiguration(root: root + "/mail", hostname: "pop.test", fsync: false))
        let user = try #require(try await directory.user(login: "alice"))
        let mailbox = try store.mailbox(for: MailboxLocator.owner(of: user))
        for n in 1...3 { _ = try await mailbox.deliver(Array("Subject: \(n)\n\n.dot \(n)\nbody\n".utf8)) }
        let agent = POP3MaildropAgent(store: store, authenticator: MailAuthenticator(directory: directory), peer: "127.0.0.1",
                                      logger: Logger(label: "test"))
        guard case let .opened(.opened(maildrop)) = await agent.perform(.open(user)) else { Issue.record("not opened"); return }
        let messages = maildrop.messages.map(\.stored)
        func expected(_ index: Int) throws -> [UInt8] {
            POP3Transfer.encode(try #require(FileManager.default.contents(atPath: messages[index].path)))
        }

        // Nothing was read ahead before the first RETR.
        #expect(agent.readyAnswer(.retrieve(messages[0], bodyLines: nil, following: POP3Following(messages[1...]))) == nil)
        guard case let .retrieved(first?) = await agent.perform(.retrieve(messages[0], bodyLines: nil, following: POP3Following(messages[1...]))) else {
            Issue.record("RETR 1 failed"); return
        }
        #expect(Array(first.readableBytesView) == (try expected(0)))
        // The read ahead runs on the store's pool: wait for it (bounded), then RETR 2 needs no I/O.
        var ready: POP3Input?
        for _ in 0..<500 where ready == nil {
            try await Task.sleep(for: .milliseconds(10))
            ready = agent.readyAnswer(.retrieve(messages[1], bodyLines: nil, following: POP3Following([messages[2]])))
        }
        guard case let .retrieved(second?) = ready else { Issue.record("message 2 was not read ahead"); return }
        #expect(Array(second.readableBytesView) == (try expected(1)))
        // Taken once; TOP and other messages are never answered from it.
        #expect(agent.readyAnswer(.retrieve(messages[1], bodyLines: nil, following: .none)) == nil)
        #expect(agent.readyAnswer(.retrieve(messages[2], bodyLines: 1, following: .none)) == nil)
        // Answering RETR 2 read message 3 ahead; a closed session drops it.
        try await Task.sleep(for: .milliseconds(200))
        agent.close()
        #expect(agent.readyAnswer(.retrieve(messages[2], bodyLines: nil, following: .none)) == nil)
    }
}
