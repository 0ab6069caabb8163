import Directory
import Foundation
@testable import IMAPServer
import Logging
import MailAccess
import MailStore
import Testing

/// IDLE's waiting: the signal that may come before its wait, and the agent's waits on a real store — woken by
/// inotify long before the safety poll, by DONE long before the poll interval, polling when the store polls.
@Suite struct IMAPIdleTests {
    static let clock = ContinuousClock()

    @Test func aSignalBeforeTheWaitIsKeptAndEndBeatsChange() async {
        let signal = IMAPIdleSignal()
        signal.signal(.changed)
        #expect(await signal.wait(timeout: .seconds(60)) == .changed)
        signal.signal(.changed)
        signal.signal(.ended)
        #expect(await signal.wait(timeout: .seconds(60)) == .ended)
        #expect(await signal.wait(timeout: .seconds(60)) == .changed)
        signal.signal(.changed)
        signal.clearChanged()
        let start = Self.clock.now
        #expect(await signal.wait(timeout: .milliseconds(50)) == .timedOut)
        #expect(Self.clock.now - start >= .milliseconds(50))
    }

    @Test func aSignalDuringTheWaitWakesItAtOnce() async {
        let signal = IMAPIdleSignal()
        async let woken = signal.wait(timeout: .seconds(600))
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal(.changed)
        // `.changed`, not `.timedOut`: the signal ended the wait (no time limit here: the machine is shared).
        #expect(await woken == .changed)
    }

    static func agent(_ root: String, notification: ChangeNotification, poll: Duration, safetyPoll: Duration) async throws
        -> (IMAPMailboxAgent, Mailbox) {
        let directory = try await SQLiteDirectory.open(path: root + "/users.db")
        try await directory.add(DirectoryUser(login: "alice", addresses: ["alice@shoal.test"]), password: "pw")
        let store = MailStore(configuration: MailStoreConfiguration(root: root + "/mail", hostname: "imap.test", fsync: false,
                                                                    changeNotification: notification))
        let agent = IMAPMailboxAgent(store: store, authenticator: MailAuthenticator(directory: directory), peer: "127.0.0.1",
                                     logger: Logger(label: "test"), idlePollInterval: poll, idleSafetyPollInterval: safetyPoll)
        guard case .authenticated(.success) = await agent.perform(.authenticate(login: "alice", password: "pw")) else {
            throw IMAPStoreFailure(code: "TEST", text: "login failed")
        }
        let user = try #require(try await directory.user(login: "alice"))
        return (agent, try store.mailbox(for: MailboxLocator.owner(of: user)))
    }

    static func isIdleEnded(_ result: IMAPWorkResult) -> Bool {
        if case .idleEnded = result { true } else { false }
    }

    static func count(_ result: IMAPWorkResult) -> Int? {
        if case let .listing(listing) = result { listing.messages.count } else { nil }
    }

    @Test func inotifyWakesTheWaitLongBeforeTheSafetyPoll() async throws {
        let root = IMAPMailboxAgentTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Both polls an hour apart: a wake within the test's bounds can only come from inotify (or DONE),
        // without a tight time limit a loaded machine could miss.
        let (agent, mailbox) = try await Self.agent(root, notification: .inotify, poll: .seconds(3600), safetyPoll: .seconds(3600))
        _ = try await mailbox.deliver(Array("Subject: one\r\n\r\n1\r\n".utf8))
        // The first wait sets up the watch and reads at once (changes before the watch are not lost).
        let start = Self.clock.now
        #expect(Self.count(await agent.perform(.idleWait(folder: "INBOX"))) == 1)
        #expect(Self.clock.now - start < .seconds(600))
        #expect(agent.idle.isWatching)
        async let woken = agent.perform(.idleWait(folder: "INBOX"))
        try await Task.sleep(for: .milliseconds(100))
        _ = try await mailbox.deliver(Array("Subject: two\r\n\r\n2\r\n".utf8))
        #expect(Self.count(await woken) == 2)
        #expect(Self.clock.now - start < .seconds(600), "woken by inotify: both polls are an hour apart")
        // DONE ends the next wait at once and gives the watch up.
        async let ended = agent.perform(.idleWait(folder: "INBOX"))
        try await Task.sleep(for: .milliseconds(100))
        #expect(Self.isIdleEnded(await agent.perform(.endIdle)))
        #expect(Self.count(await ended) == 2)
        #expect(Self.clock.now - start < .seconds(600))
        #expect(!agent.idle.isWatching, "DONE gives the folder's watch up")
        agent.close()
    }

    @Test func pollingWaitsThePollIntervalAndDoneEndsItEarly() async throws {
        let root = IMAPMailboxAgentTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (agent, mailbox) = try await Self.agent(root, notification: .poll, poll: .milliseconds(300), safetyPoll: .seconds(60))
        _ = try await mailbox.deliver(Array("Subject: one\r\n\r\n1\r\n".utf8))
        var start = Self.clock.now
        #expect(Self.count(await agent.perform(.idleWait(folder: "INBOX"))) == 1)
        #expect(Self.clock.now - start >= .milliseconds(300), "no watch: the wait is the poll interval")
        #expect(!agent.idle.isWatching)

        let slowRoot = IMAPMailboxAgentTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: slowRoot) }
        // An hour's poll: DONE ending the wait is told from the poll ending it by an order of magnitude that no
        // stall of a loaded machine reaches (a bound, not a timing measurement).
        let (slow, slowMailbox) = try await Self.agent(slowRoot, notification: .poll, poll: .seconds(3600), safetyPoll: .seconds(3600))
        _ = try await slowMailbox.deliver(Array("Subject: one\r\n\r\n1\r\n".utf8))
        start = Self.clock.now
        async let ended = slow.perform(.idleWait(folder: "INBOX"))
        try await Task.sleep(for: .milliseconds(100))
        #expect(Self.isIdleEnded(await slow.perform(.endIdle)))
        #expect(Self.count(await ended) == 1)
        #expect(Self.clock.now - start < .seconds(600), "DONE does not wait for the hour's poll")
        // A closed connection's wait ends without reading the folder.
        async let closed = slow.perform(.idleWait(folder: "INBOX"))
        try await Task.sleep(for: .milliseconds(100))
        slow.close()
        #expect(Self.count(await closed) == nil)
    }
}
