import Directory
import Logging
import NIOCore
import NIOEmbedded
@testable import SMTPServer
import ShoalCore
import ShoalServer
import Testing

/// DATA in spans of whole lines (issue 19): the driver's `MessageLineSpan` cut, the session's one scan per
/// span (`SMTPDataSpan`), and the whole path through `LineProtocolHandler` giving exactly what line-by-line
/// feeding gives, for every chunking of random messages with dots, bare CR/LF, 8-bit octets and over-long lines.
@Suite struct SMTPDataSpanTests {
    // MARK: The driver's cut

    private func take(_ text: String) -> (span: String?, rest: String) {
        var buffer = ByteBuffer(string: text)
        let span = MessageLineSpan.take(from: &buffer).map { String(buffer: $0) }
        return (span, String(buffer: buffer))
    }

    @Test func theSpanStopsBeforeTheDotLineAndAtTheLastCRLF() {
        #expect(take("a\r\nb\r\n.\r\nQUIT\r\n") == ("a\r\nb\r\n", ".\r\nQUIT\r\n"))
        #expect(take("a\r\nb\r\npartial") == ("a\r\nb\r\n", "partial"))
        #expect(take("..stuffed\r\n.x\r\n.\r") == ("..stuffed\r\n.x\r\n", ".\r"))
        #expect(take("a\nb\r\n") == ("a\nb\r\n", ""))  // a bare LF stays inside its line
    }

    @Test func nothingIsTakenAtTheDotLineOrWithoutACompleteLine() {
        #expect(take(".\r\nQUIT\r\n") == (nil, ".\r\nQUIT\r\n"))
        #expect(take(".") == (nil, "."))
        #expect(take(".\r") == (nil, ".\r"))
        #expect(take("no line end") == (nil, "no line end"))
        #expect(take("bare lf only\n") == (nil, "bare lf only\n"))
        #expect(take("") == (nil, ""))
    }

    // MARK: The session's scan

    @Test func theScanFindsDotsBareEndingsEightBitAndOverlongLines() {
        let plain = ByteBuffer(string: "one\r\n..two\r\n.three\r\n")
        let scan = SMTPDataSpan(scanning: plain, maximumLineLength: 100)
        #expect(scan.leadingDots == [5, 12])
        #expect(!scan.bareLineEnding && !scan.eightBit && !scan.lineTooLong)
        var message = ByteBuffer()
        scan.append(plain, to: &message)
        #expect(String(buffer: message) == "one\r\n.two\r\nthree\r\n")
        #expect(scan.contentSize(of: plain) == message.readableBytes)

        #expect(SMTPDataSpan(scanning: ByteBuffer(string: "a\rb\r\n"), maximumLineLength: 100).bareLineEnding)
        #expect(SMTPDataSpan(scanning: ByteBuffer(string: "a\nb\r\n"), maximumLineLength: 100).bareLineEnding)
        #expect(SMTPDataSpan(scanning: ByteBuffer(string: "ok\r\n\r\n"), maximumLineLength: 100).bareLineEnding == false)
        #expect(SMTPDataSpan(scanning: ByteBuffer(bytes: Array("caf".utf8) + [0xC3, 0xA9, 0x0D, 0x0A]), maximumLineLength: 100).eightBit)
        let long = SMTPDataSpan(scanning: ByteBuffer(string: "short\r\n" + String(repeating: "x", count: 9) + "\r\n"), maximumLineLength: 10)
        #expect(long.lineTooLong && long.overlongBytes == 11)
        #expect(!SMTPDataSpan(scanning: ByteBuffer(string: String(repeating: "x", count: 8) + "\r\n"), maximumLineLength: 10).lineTooLong)
    }

    // MARK: Spans through the driver == lines through the session

    /// Keeps every envelope; every recipient is local.
    final class RecordingAgent: MailAgent, @unchecked Sendable {
        private(set) var envelopes: [SMTPEnvelope] = []
        func checkRecipient(address: String, mailFrom: String) async -> RecipientCheck { .local(DirectoryUser(login: "u", addresses: [address])) }
        func authenticate(login: String, password: String, peer: String) async -> SMTPAuthenticationResult { .failure }
        func deliver(_ envelope: SMTPEnvelope) async -> [DeliveryOutcome] {
            envelopes.append(envelope)
            return envelope.recipients.map { _ in .delivered }
        }
    }

    private static let limit = 80

    private func configuration() -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(hostname: "mx.test", maximumMessageSize: 1 << 20, maximumLineLength: Self.limit,
                                 localDomains: ["shoal.test"], now: { SMTPTimestamp(secondsSince1970: 1_700_000_000) },
                                 makeID: { "4SPANID" })
    }

    /// A random message body (dot-stuffed as a client sends it): plain, dotted, empty, 8-bit, bare CR/LF and over-long lines.
    private func randomBody(_ rng: inout SplitMix64, lines: Int) -> [UInt8] {
        var body: [UInt8] = []
        for _ in 0..<lines {
            let kind = rng.next() % 20
            var line: [UInt8] = (0..<Int(rng.next() % 60)).map { _ in UInt8(0x20 + rng.next() % 0x5E) }
            switch kind {
            case 0: line.insert(0x2E, at: 0); line.insert(0x2E, at: 0)  // a stuffed dot line
            case 1: line = [0x2E, 0x2E]  // a stuffed lone dot
            case 2: line = []
            case 3: line.append(0xE9)
            case 4 where rng.next() % 4 == 0: line.insert(0x0A, at: line.count / 2)  // bare LF
            case 5 where rng.next() % 4 == 0: line.insert(0x0D, at: line.count / 2)  // bare CR
            case 6 where rng.next() % 4 == 0: line += [UInt8](repeating: 0x79, count: Self.limit)  // over-long
            default: break
            }
            if line == [0x2E] { line = [0x2E, 0x2E] }  // a client stuffs a lone dot: it is not the end here
            body += line + [0x0D, 0x0A]
        }
        return body
    }

    /// The reference: the same bytes cut into lines by the strict decoder and fed one by one.
    private func lineByLine(_ body: [UInt8]) -> (replies: [String], envelope: SMTPEnvelope?) {
        var session = SMTPSession(configuration: configuration(), peer: "192.0.2.9", secure: false)
        _ = session.start()
        _ = session.receive(.line(ByteBuffer(string: "EHLO c")))
        _ = session.receive(.line(ByteBuffer(string: "MAIL FROM:<a@b.test>")))
        _ = session.receive(.line(ByteBuffer(string: "RCPT TO:<x@shoal.test>")))
        _ = session.receive(.recipientChecked(.local(DirectoryUser(login: "u", addresses: ["x@shoal.test"]))))
        _ = session.receive(.line(ByteBuffer(string: "DATA")))
        var decoder = CRLFLineDecoder(maximumLineLength: Self.limit)
        var input = ByteBuffer(bytes: body + Array(".\r\n".utf8))
        var replies: [String] = []
        var envelope: SMTPEnvelope?
        while let item = decoder.decode(buffer: &input) {
            for action in session.receive(SMTPInput(item)) {
                switch action {
                case let .reply(reply): replies.append(reply.rendered())
                case let .deliver(delivered):
                    envelope = delivered
                    for case let .reply(reply) in session.receive(.delivered([.delivered])) { replies.append(reply.rendered()) }
                default: break
                }
            }
        }
        return (replies, envelope)
    }

    @Test(arguments: 0..<24)
    func spansThroughTheDriverGiveWhatLinesGive(seed: Int) async throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 19)
        let body = randomBody(&rng, lines: 40 + Int(rng.next() % 200))
        let expected = lineByLine(body)

        let agent = RecordingAgent()
        let channel = NIOAsyncTestingChannel()
        let child = SMTPServerChild(session: configuration(), agent: agent)
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.9", port: 40000)).get()
        try await channel.testingEventLoop.submit { try child.setup(channel: channel, logger: Logger(label: "test.smtp")) }.get()
        try await channel.writeInbound(ByteBuffer(string: "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@shoal.test>\r\nDATA\r\n"))
        var output = try await waitFor("354", in: channel)
        // The body, the dot and a pipelined NOOP, in reads of random sizes (1 byte to 2 KiB).
        let bytes = body + Array(".\r\nNOOP\r\n".utf8)
        var offset = 0
        while offset < bytes.count {
            let size = min(bytes.count - offset, 1 + Int(rng.next() % (rng.next() % 3 == 0 ? 7 : 2048)))
            try await channel.writeInbound(ByteBuffer(bytes: bytes[offset..<(offset + size)]))
            offset += size
        }
        output = try await waitFor("250 2.0.0 Ok\r\n", in: channel, after: output)
        let afterData = output[output.range(of: "354")!.upperBound...]
        // The message's reply is the one the line-by-line session gave, and the NOOP after it was read as a command.
        #expect(afterData.contains(expected.replies.first ?? "<none>"))
        #expect(afterData.hasSuffix("250 2.0.0 Ok\r\n"))
        let delivered = try await channel.testingEventLoop.submit { agent.envelopes }.get()
        #expect(delivered.count == (expected.envelope == nil ? 0 : 1))
        if let want = expected.envelope, let got = delivered.first {
            #expect(got.message == want.message)
            #expect(got.containsEightBitData == want.containsEightBitData)
        }
        _ = try? await channel.finish()
    }

    private func waitFor(_ text: String, in channel: NIOAsyncTestingChannel, after earlier: String = "") async throws -> String {
        var all = earlier
        for _ in 0..<3000 {
            while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { all += String(buffer: buffer) }
            if all.hasSuffix(text) || all.contains(text) && !earlier.contains(text) { return all }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        return all
    }
}
