import Directory
import Foundation
import IMAPServer
import Logging
import MailAccess
import MailStore
import NIOPosix
import Testing

/// The IMAP work on a real SQLite directory and a real store: login, folders, flags, copy/move, append,
/// expunge and the response codes of failures.
@Suite struct IMAPMailboxAgentTests {
    static func scratch() -> String {
        let path = NSTemporaryDirectory() + "imap-agent-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func agent(_ root: String) async throws -> (IMAPMailboxAgent, Mailbox) {
        let directory = try await SQLiteDirectory.open(path: root + "/users.db")
        try await directory.add(DirectoryUser(login: "alice", addresses: ["alice@shoal.test"]), password: "pw")
        let store = MailStore(configuration: MailStoreConfiguration(root: root + "/mail", hostname: "imap.test", fsync: false))
        let authenticator = MailAuthenticator(directory: directory)
        let agent = IMAPMailboxAgent(store: store, authenticator: authenticator, peer: "127.0.0.1", logger: Logger(label: "test"))
        let user = try #require(try await directory.user(login: "alice"))
        return (agent, try store.mailbox(for: MailboxLocator.owner(of: user)))
    }

    @Test func workNeedsALoginThenReachesTheUsersMailbox() async throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (agent, mailbox) = try await Self.agent(root)
        guard case let .failed(early) = await agent.perform(.folders) else { Issue.record("work before login"); return }
        #expect(early.code == "SERVERBUG")
        guard case .authenticated(.failure) = await agent.perform(.authenticate(login: "alice", password: "bad")) else {
            Issue.record("a bad password logged in"); return
        }
        guard case .authenticated(.success) = await agent.perform(.authenticate(login: "alice", password: "pw")) else {
            Issue.record("login failed"); return
        }
        _ = try await mailbox.deliver(Array("Subject: one\n\nbody\n".utf8))
        guard case let .listing(listing) = await agent.perform(.listing(folder: "INBOX")) else { Issue.record("no listing"); return }
        #expect(listing.messages.count == 1)
        guard case let .folders(folders, subscribed) = await agent.perform(.folders) else { Issue.record("no folders"); return }
        #expect(folders.map(\.name) == ["INBOX", "Drafts", "Junk", "Sent", "Trash"])
        #expect(subscribed == ["Sent", "Drafts", "Trash", "Junk"])
    }

    @Test func copyMoveAppendExpungeAndFailuresWithTheirCodes() async throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (agent, mailbox) = try await Self.agent(root)
        _ = await agent.perform(.authenticate(login: "alice", password: "pw"))
        for subject in ["a", "b", "c"] { _ = try await mailbox.deliver(Array("Subject: \(subject)\n\nx\n".utf8)) }
        let inbox = try await mailbox.messages()

        guard case let .flagsSet(updated) = await agent.perform(.setFlags([IMAPFlagUpdate(message: inbox[0], flags: [.seen], keywords: ["Work"])],
                                                                          folder: "INBOX")) else { Issue.record("no flags"); return }
        #expect(updated.first??.flags == [.seen] && updated.first??.keywords == ["Work"])

        let flagged = try #require(updated.first ?? nil)
        // An empty folder's UIDVALIDITY is made when it is first listed, and kept.
        let emptyTrash = try await mailbox.listing(folder: "Trash").uidValidity
        #expect(emptyTrash != 0)
        guard case let .copied(validity, pairs) = await agent.perform(.copy([flagged], from: "INBOX", to: "Trash", move: false)) else {
            Issue.record("copy failed"); return
        }
        let trashValidity = try await mailbox.listing(folder: "Trash").uidValidity
        #expect(pairs.map(\.copy) == [1] && validity == trashValidity && trashValidity == emptyTrash)
        #expect(try await mailbox.messages(folder: "Trash").first?.keywords == ["Work"])

        guard case let .copied(_, moved) = await agent.perform(.copy([inbox[1]], from: "INBOX", to: "Trash", move: true)) else {
            Issue.record("move failed"); return
        }
        #expect(moved.map(\.copy) == [2])
        #expect(try await mailbox.messages().map(\.uid) == [1, 3])

        guard case let .expunged(uids) = await agent.perform(.expunge([inbox[2]], folder: "INBOX")) else { Issue.record("expunge"); return }
        #expect(uids == [3])

        guard case let .appended(_, uid) = await agent.perform(.append(Array("Subject: d\n\nx\n".utf8), folder: "Sent", flags: [.seen],
                                                                        keywords: [], receivedDate: 1_700_000_000)) else {
            Issue.record("append failed"); return
        }
        #expect(uid == 1)

        guard case let .failed(missing) = await agent.perform(.append([], folder: "Nowhere", flags: [], keywords: [], receivedDate: nil)) else {
            Issue.record("append to a missing folder worked"); return
        }
        #expect(missing.code == "TRYCREATE")
        guard case let .failed(exists) = await agent.perform(.create(folder: "Trash")) else { Issue.record("create twice"); return }
        #expect(exists.code == "ALREADYEXISTS")
        guard case let .failed(bad) = await agent.perform(.create(folder: "a//b")) else { Issue.record("bad name accepted"); return }
        #expect(bad.code == "CANNOT")
        guard case let .messageData(data) = await agent.perform(.messageData(try await mailbox.messages(folder: "Sent"), folder: "Sent",
                                                                             contents: true, receivedDates: true)) else {
            Issue.record("no message data"); return
        }
        #expect(data.first?.receivedDate == 1_700_000_000 && data.first?.contents == Array("Subject: d\n\nx\n".utf8))
    }
}
