import Directory
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOSSL
@testable import SMTPServer
import ShoalServer
import ShoalTestFixtures
import Testing

/// SMTP on the shared line driver, on a testing channel: pipelining held while the agent answers, the
/// command and data timeouts on the testing clock, STARTTLS dropping pipelined plaintext, and shutdown at
/// a command boundary after the delivery under way.
@Suite struct SMTPHandlerTests {
    /// Knows every recipient; deliveries wait until the test releases them.
    final class GatedAgent: MailAgent {
        let releases: AsyncStream<Void>
        let release: AsyncStream<Void>.Continuation
        init() { (releases, release) = AsyncStream.makeStream(of: Void.self) }
        func checkRecipient(address: String, mailFrom: String) async -> RecipientCheck { .local(DirectoryUser(login: "u", addresses: [address])) }
        func authenticate(login: String, password: String, peer: String) async -> SMTPAuthenticationResult { .failure }
        func deliver(_ envelope: SMTPEnvelope) async -> [DeliveryOutcome] {
            for await _ in releases { break }
            return envelope.recipients.map { _ in .delivered }
        }
    }

    final class Bed: Sendable {
        let channel = NIOAsyncTestingChannel()
        let agent = GatedAgent()

        init(tls: TLSContextSource? = nil) async throws {
            let child = SMTPServerChild(
                session: SMTPSessionConfiguration(hostname: "mx.test", localDomains: ["shoal.test"]),
                lineProtocol: LineProtocolConfiguration(commandTimeout: .seconds(300), dataTimeout: .seconds(180)), tls: tls, agent: agent)
            try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.9", port: 40000)).get()
            let channel = self.channel
            try await channel.testingEventLoop.submit { try child.setup(channel: channel, logger: Logger(label: "test.smtp")) }.get()
        }

        func send(_ text: String) async throws { try await channel.writeInbound(ByteBuffer(string: text)) }

        func output() async throws -> String {
            var text = ""
            while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        func waitForOutput(containing expected: String) async throws -> String {
            var text = ""
            for _ in 0..<1000 {
                text += try await output()
                if text.contains(expected) { return text }
                try await Task.sleep(nanoseconds: 2_000_000)
            }
            return text
        }

        func hello() async throws {
            _ = try await output()
            try await send("EHLO client.test\r\n")
            _ = try await output()
        }
    }

    @Test func greetsAndHoldsPipelinedCommandsWhileTheDeliveryRuns() async throws {
        let bed = try await Bed()
        #expect(try await bed.output().hasPrefix("220 mx.test"))
        try await bed.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@shoal.test>\r\nDATA\r\n")
        let head = try await bed.waitForOutput(containing: "354")
        #expect(head.contains("250 2.1.0") && head.contains("250 2.1.5"))
        try await bed.send("Subject: t\r\n\r\nbody\r\n.\r\nNOOP\r\n")
        try await Task.sleep(nanoseconds: 20_000_000)
        #expect(try await bed.output() == "")  // NOOP waits behind the delivery
        bed.agent.release.yield()
        let tail = try await bed.waitForOutput(containing: "250 2.0.0 Ok\r\n")
        #expect(tail.contains("queued as"))
        #expect(tail.hasSuffix("250 2.0.0 Ok\r\n"))
    }

    @Test func silenceGets421AfterTheCommandTimeoutOnTheTestingClock() async throws {
        let bed = try await Bed()
        try await bed.hello()
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(299))
        #expect(bed.channel.isActive)
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(2))
        #expect(try await bed.output().hasPrefix("421 4.4.2"))
        #expect(!bed.channel.isActive)
    }

    @Test func insideDATATheDataTimeoutApplies() async throws {
        let bed = try await Bed()
        try await bed.hello()
        try await bed.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@shoal.test>\r\nDATA\r\n")
        _ = try await bed.waitForOutput(containing: "354")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(179))
        try await bed.send("Subject: slow\r\n")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(179))
        #expect(bed.channel.isActive)
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(2))
        #expect(try await bed.output().hasPrefix("421 4.4.2"))
    }

    @Test func shutdownWaitsForTheDeliveryThenEndsWith421() async throws {
        let bed = try await Bed()
        try await bed.hello()
        try await bed.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@shoal.test>\r\nDATA\r\n")
        _ = try await bed.waitForOutput(containing: "354")
        try await bed.send("Subject: t\r\n\r\nbody\r\n.\r\n")
        bed.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try await bed.output() == "")
        #expect(bed.channel.isActive)
        bed.agent.release.yield()
        let tail = try await bed.waitForOutput(containing: "421")
        #expect(tail.hasPrefix("250 2.0.0"))
        #expect(tail.contains("421 4.3.2"))
        #expect(!bed.channel.isActive)
    }

    @Test func startTLSDropsPlaintextPipelinedAfterIt() async throws {
        let files = try SelfSignedCertificate.make()
        let bed = try await Bed(tls: try TLSContextSource(certificatePath: files.certificate, keyPath: files.key))
        _ = try await bed.output()
        try await bed.send("EHLO c\r\n")
        #expect(try await bed.output().contains("250-STARTTLS"))
        try await bed.send("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
        let reply = try await bed.output()
        #expect(reply == "220 2.0.0 Ready to start TLS\r\n")
        _ = try await bed.channel.pipeline.handler(type: NIOSSLServerHandler.self).get()
    }
}
