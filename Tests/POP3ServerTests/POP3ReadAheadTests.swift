import Directory
import Foundation
import Logging
import MailAccess
import MailStore
import NIOCore
import POP3Server
import Testing

/// The maildrop agent reads the next message ahead after a RETR, and answers the RETR of it from memory,
/// byte for byte what reading it would give; nothing is kept after the session ends.
@Suite struct POP3ReadAheadTests {
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
        #expect(agent.readyAnswer(.retrieve(messages[0], bodyLines: nil, next: messages[1])) == nil)
        guard case let .retrieved(first?) = await agent.perform(.retrieve(messages[0], bodyLines: nil, next: messages[1])) else {
            Issue.record("RETR 1 failed"); return
        }
        #expect(Array(first.readableBytesView) == (try expected(0)))
        // The read ahead runs on the store's pool: wait for it (bounded), then RETR 2 needs no I/O.
        var ready: POP3Input?
        for _ in 0..<500 where ready == nil {
            try await Task.sleep(for: .milliseconds(10))
            ready = agent.readyAnswer(.retrieve(messages[1], bodyLines: nil, next: messages[2]))
        }
        guard case let .retrieved(second?) = ready else { Issue.record("message 2 was not read ahead"); return }
        #expect(Array(second.readableBytesView) == (try expected(1)))
        // Taken once; TOP and other messages are never answered from it.
        #expect(agent.readyAnswer(.retrieve(messages[1], bodyLines: nil, next: nil)) == nil)
        #expect(agent.readyAnswer(.retrieve(messages[2], bodyLines: 1, next: nil)) == nil)
        // Answering RETR 2 read message 3 ahead; a closed session drops it.
        try await Task.sleep(for: .milliseconds(200))
        agent.close()
        #expect(agent.readyAnswer(.retrieve(messages[2], bodyLines: nil, next: nil)) == nil)
    }
}
