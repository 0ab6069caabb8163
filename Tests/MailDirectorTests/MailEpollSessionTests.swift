import Director
import DirectorProxy
import Logging
import MailAccess
@testable import MailDirector
import NIOCore
import ShoalCore
import Testing

/// The mail director's sessions on the epoll engine, driven with bytes as an epoll thread drives them (no sockets):
/// the pure session's answers come out as `.send` steps, a login as `.connect` keyed by the user, the replay to
/// the node, and `.relay` with what was held.
@Suite struct MailEpollSessionTests {
    /// Never asked: a session only names the request; the engine schedules.
    final class UnusedScheduler: ConnectionScheduler {
        func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool { false }
        func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease? { nil }
        func abandon(_ lease: ProxyLease) {}
        func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64) {}
        func closed(_ lease: ProxyLease) {}
        func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease? { nil }
    }

    static let virtual = Endpoint("127.0.160.1:143")!
    static let client = Endpoint("127.0.160.2:40000")!
    static let node = Endpoint("127.0.160.11:143")!

    func make(_ proto: MailProxyProtocol = .imap, statistics: MailProxyStatistics = MailProxyStatistics(),
              commandTimeout: TimeAmount = .seconds(60)) -> any EpollPreamble {
        let capabilities = switch proto {
        case .imap: MailProxyConfiguration.shoalIMAPCapabilities
        case .pop3: MailProxyConfiguration.shoalPOP3Capabilities
        case .submission: MailProxyConfiguration.shoalSubmissionCapabilities
        }
        var settings = MailProxySettings(proto: proto, session: configuration(capabilities), proxy: ProxySettings())
        settings.commandTimeout = commandTimeout
        let sessions = MailEpollSessions(settings: settings, virtual: Self.virtual, scheduler: UnusedScheduler(), statistics: statistics,
                                         logger: Logger(label: "test"))
        return sessions.makePreamble(client: Self.client, resume: EpollResume { _ in })
    }

    func bytes(_ text: String, _ body: (UnsafeRawBufferPointer) -> [EpollPreambleStep]) -> [EpollPreambleStep] {
        Array(text.utf8).withUnsafeBytes(body)
    }

    /// The text sent to `side` by `steps`.
    func text(_ steps: [EpollPreambleStep], to side: RelaySide) -> String {
        steps.compactMap { step -> String? in
            guard case let .send(s, bytes) = step, s == side else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }.joined()
    }

    @Test func anIMAPLoginIsKeyedByTheUserReplayedPipelinedAndRelayedWithWhatWasHeld() {
        let statistics = MailProxyStatistics()
        let session = make(statistics: statistics)
        #expect(text(session.start(now: 0), to: .client).hasPrefix("* OK [CAPABILITY IMAP4rev1"))
        // LOGIN, and a SELECT pipelined behind it: held until the splice.
        let login = bytes("a1 LOGIN Alice secret\r\na2 SELECT INBOX\r\n") { session.clientBytes($0, now: 1) }
        #expect(login == [EpollPreambleStep.connect(ConnectionRequest(proto: .tcp, client: Self.client, virtual: Self.virtual,
                                                     affinityKey: UserAffinityKey.key("alice")))])
        let replay = session.connected(to: Self.node, now: 2)
        let plain = SASLBase64.encode(Array("\0Alice\0secret".utf8))
        #expect(text(replay, to: .server) == "D1 AUTHENTICATE PLAIN \(plain)\r\n")
        let answer = bytes("* OK node ready\r\nD1 OK [CAPABILITY IMAP4rev1] Logged in\r\n* 1 EXISTS\r\n") { session.serverBytes($0, now: 3) }
        #expect(text(answer, to: .client) == "a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n* 1 EXISTS\r\n")
        #expect(text(answer, to: .server) == "a2 SELECT INBOX\r\n")
        #expect(answer.last == EpollPreambleStep.relay)
        #expect(statistics.snapshot.loginsProxied == [Self.node: 1] && statistics.snapshot.sessions == [Self.node: 1])
        session.closed()
        #expect(statistics.snapshot.sessions == [Self.node: 0])
    }

    @Test func aRefusedLoginDropsTheNodeAndTheClientMayTryAgain() {
        let statistics = MailProxyStatistics()
        let session = make(statistics: statistics)
        _ = session.start(now: 0)
        _ = bytes("a LOGIN alice wrong\r\n") { session.clientBytes($0, now: 1) }
        _ = session.connected(to: Self.node, now: 2)
        let refused = bytes("* OK hi\r\nD1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n") { session.serverBytes($0, now: 3) }
        #expect(refused.first == EpollPreambleStep.dropServer)
        #expect(text(refused, to: .client) == "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        #expect(statistics.snapshot.loginsRefused == 1)
        // Again, right: a new connect for the same user.
        let again = bytes("b LOGIN alice right\r\n") { session.clientBytes($0, now: 4) }
        #expect(again.count == 1 && { if case .connect = again[0] { true } else { false } }())
        // No node reachable: the protocol's unavailable answer, and the session goes on.
        let unavailable = session.connectFailed(now: 5)
        #expect(text(unavailable, to: .client).hasPrefix("b NO [UNAVAILABLE]"), "\(text(unavailable, to: .client))")
        #expect(statistics.snapshot.loginsUnavailable == 1)
        #expect(text(bytes("c LOGOUT\r\n") { session.clientBytes($0, now: 6) }, to: .client).contains("c OK"))
    }

    @Test func malformedInputBeforeLoginGetsTheProtocolsErrorAndTheCommandTimeoutCloses() {
        let session = make(commandTimeout: .seconds(10))
        _ = session.start(now: 0)
        let garbage = bytes("\u{1}\u{2}garbage\r\nx SELECT INBOX\r\ny LOGIN {99999999}\r\n") { session.clientBytes($0, now: 1) }
        let answer = text(garbage, to: .client)
        #expect(answer.contains("* BAD") || answer.contains("BAD"), "\(answer)")
        #expect(answer.contains("x BAD Log in first."), "\(answer)")
        #expect(!garbage.contains { if case .connect = $0 { true } else { false } })
        let line = String(repeating: "A", count: 10_000) + "\r\n"
        let long = bytes(line) { session.clientBytes($0, now: 2) }
        #expect(text(long, to: .client).contains("BAD"), "\(long)")
        #expect(session.sweep(now: 5000, connecting: false).isEmpty)
        let timedOut = session.sweep(now: 20_000, connecting: false)
        #expect(timedOut.last == EpollPreambleStep.close, "\(timedOut)")
        #expect(text(timedOut, to: .client).hasPrefix("* BYE"), "\(timedOut)")
    }

    @Test func pop3AndSubmissionLoginsAreReplayedAfterTheNodesGreeting() {
        let pop3 = make(.pop3)
        #expect(text(pop3.start(now: 0), to: .client).hasPrefix("+OK"))
        _ = bytes("USER bob\r\n") { pop3.clientBytes($0, now: 1) }
        let pass = bytes("PASS pw\r\n") { pop3.clientBytes($0, now: 1) }
        #expect(pass == [EpollPreambleStep.connect(ConnectionRequest(proto: .tcp, client: Self.client, virtual: Self.virtual, affinityKey: UserAffinityKey.key("bob")))])
        #expect(pop3.connected(to: Self.node, now: 2).isEmpty)
        let greeted = bytes("+OK node\r\n") { pop3.serverBytes($0, now: 3) }
        #expect(!text(greeted, to: .server).isEmpty)
        #expect(pop3.mayQuiesce == false)
        let node = pop3.serverEnded(now: 4)
        #expect(node.first == EpollPreambleStep.dropServer && text(node, to: .client).hasPrefix("-ERR"), "\(node)")
        #expect(pop3.mayQuiesce)

        let submission = make(.submission)
        #expect(text(submission.start(now: 0), to: .client).hasPrefix("220 "))
        let ehlo = bytes("EHLO me\r\n") { submission.clientBytes($0, now: 1) }
        #expect(text(ehlo, to: .client).contains("250"))
        #expect(text(bytes("MAIL FROM:<a@b>\r\n") { submission.clientBytes($0, now: 1) }, to: .client).hasPrefix("530"))
    }
}
