import Foundation
import SMTPServer
import ShoalCore
import ShoalTestFixtures
import Testing

/// The relay client against a real SMTP peer: a delivery with dot-stuffing, refused recipients, a peer
/// that never answers (the reply timeout), one that refuses service, and nobody listening.
@Suite struct RelayClientTests {
    static func client(_ port: Int, timeout: Int = 60) -> RelayClient {
        RelayClient(host: Endpoint("127.0.0.1:\(port)")!, heloName: "node.test", timeoutSeconds: timeout, connectTimeoutSeconds: 5)
    }

    @Test func deliversWithDotStuffingAndPerRecipientOutcomes() async throws {
        let peer = try await RelayPeer.start("accept")
        defer { peer.stop() }
        let message = Array("Subject: hi\r\n\r\n.leading dot\nbare LF line\r\n..two dots\r\nlast".utf8)
        let outcomes = await Self.client(peer.port).send(from: "alice@shoal.test", to: ["bob@far.example", "nobody@far.example", "carol@far.example"],
                                                         message: message)
        #expect(outcomes[0] == .delivered && outcomes[2] == .delivered)
        guard case let .permanentFailure(text?) = outcomes[1] else { Issue.record("nobody@ got \(outcomes[1])"); return }
        #expect(text.contains("127.0.0.1:\(peer.port)") && text.contains("550 5.1.1 no such user") && text.contains("RCPT"))
        #expect(peer.log == """
            EHLO node.test\r
            MAIL FROM:<alice@shoal.test>\r
            RCPT TO:<bob@far.example>\r
            RCPT TO:<nobody@far.example>\r
            RCPT TO:<carol@far.example>\r
            DATA\r
            Subject: hi\r
            \r
            ..leading dot\r
            bare LF line\r
            ...two dots\r
            last\r
            .\r
            QUIT\r

            """)
    }

    @Test func aPeerThatNeverAnswersTimesOut() async throws {
        let peer = try await RelayPeer.start("silent")
        defer { peer.stop() }
        let started = ContinuousClock.now
        let outcomes = await Self.client(peer.port, timeout: 1).send(from: "a@shoal.test", to: ["b@far.example", "c@far.example"], message: Array("x\r\n".utf8))
        let elapsed = ContinuousClock.now - started
        #expect(outcomes.count == 2)
        for outcome in outcomes {
            guard case let .temporaryFailure(text?) = outcome else { Issue.record("got \(outcome)"); continue }
            #expect(text == "relay 127.0.0.1:\(peer.port): the greeting: no reply in time")
        }
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(600), "the 1 s timeout, not the silent peer, ended it")
    }

    @Test func aPeerRefusingServiceFailsEveryRecipient() async throws {
        let peer = try await RelayPeer.start("reject")
        defer { peer.stop() }
        let outcomes = await Self.client(peer.port).send(from: "a@shoal.test", to: ["b@far.example"], message: Array("x\r\n".utf8))
        guard case let .permanentFailure(text?) = outcomes.first else { Issue.record("got \(outcomes)"); return }
        #expect(text == "relay 127.0.0.1:\(peer.port): the greeting: 554 5.3.2 no service here")
    }

    @Test func nobodyListeningIsATemporaryFailureNamingTheHost() async throws {
        // The port of a peer that is gone: the connection is refused.
        let peer = try await RelayPeer.start("accept")
        let port = peer.port
        peer.stop()
        _ = try await peer.process.wait(timeout: 30)
        let outcomes = await Self.client(port).send(from: "a@shoal.test", to: ["b@far.example"], message: Array("x\r\n".utf8))
        guard case let .temporaryFailure(text?) = outcomes.first else { Issue.record("got \(outcomes)"); return }
        #expect(text.hasPrefix("relay 127.0.0.1:\(port): connecting: "))
        #expect(text.lowercased().contains("refused"))
    }
}
