import Logging
import NIOCore
import NIOEmbedded
import ShoalServer
import Testing

/// The line driver on a testing channel: modes, pipelining and backpressure, idle timers on the testing
/// clock (no wall-clock sleeps), and quiescing.
@Suite struct LineProtocolHandlerTests {
    /// A handler around an ``EchoSession`` whose work waits until the test releases it.
    final class Bed: Sendable {
        let channel: NIOAsyncTestingChannel
        let gate: AsyncStream<String>.Continuation
        private let answers: AsyncStream<String>

        init(configuration: LineProtocolConfiguration = LineProtocolConfiguration(commandTimeout: .seconds(10), dataTimeout: .seconds(30))) async throws {
            (answers, gate) = AsyncStream.makeStream(of: String.self)
            let answers = self.answers
            channel = NIOAsyncTestingChannel()
            try await channel.pipeline.addHandler(LineProtocolHandler(
                session: EchoSession(), configuration: configuration, tls: nil, logger: Logger(label: "test.line")
            ) { key in
                for await answer in answers { return .answer("\(key)=\(answer)") }
                return .answer("\(key)=none")
            }).get()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        }

        func send(_ text: String) async throws {
            try await channel.writeInbound(ByteBuffer(string: text))
        }

        /// Everything written so far, as one string.
        func output() async throws -> String {
            var text = ""
            while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        /// Waits (on the testing loop) until the output contains `expected`, reading at most `attempts` times.
        func waitForOutput(containing expected: String, attempts: Int = 500) async throws -> String {
            var text = ""
            for _ in 0..<attempts {
                text += try await output()
                if text.contains(expected) { return text }
                await Task.yield()
                try await Task.sleep(nanoseconds: 2_000_000)
            }
            return text
        }
    }

    @Test func greetsEchoesLinesAndSplitsOnlyAtCRLF() async throws {
        let bed = try await Bed()
        #expect(try await bed.output() == "+OK hi\r\n")
        try await bed.send("one\r\ntw")
        try await bed.send("o\r")
        try await bed.send("\nbare\nLF\r\n")
        #expect(try await bed.output() == "echo one\r\necho two\r\necho bare\nLF\r\n")
    }

    @Test func countedChunksAreReadRawThenLinesResume() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await bed.send("CHUNK 7\r\nab\r\n")
        try await bed.send("cdeNEXT\r\n")
        #expect(try await bed.output() == "+GOT ab\r\ncde\r\necho NEXT\r\n")
    }

    @Test func pipelinedInputWaitsForTheAnswerAndReadingPauses() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await bed.send("WAIT k\r\nafter\r\n")
        #expect(try await bed.output() == "")
        bed.gate.yield("v")
        let text = try await bed.waitForOutput(containing: "echo after")
        #expect(text == "+OK k=v\r\necho after\r\n")
    }

    @Test func silenceGetsTheCommandTimeoutAndReadsRestartIt() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(9))
        try await bed.send("ping\r\n")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(9))
        #expect(try await bed.output() == "echo ping\r\n")
        #expect(bed.channel.isActive)
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(2))
        #expect(try await bed.output() == "-ERR timeout\r\n")
        #expect(!bed.channel.isActive)
    }

    @Test func insideAChunkTheLongerDataTimeoutApplies() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await bed.send("CHUNK 4\r\nab")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(20))
        #expect(bed.channel.isActive)
        try await bed.send("cd")
        #expect(try await bed.output() == "+GOT abcd\r\n")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(11))
        #expect(try await bed.output() == "-ERR timeout\r\n")
    }

    @Test func noTimeoutRunsWhileTheSessionWaitsForItsWork() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await bed.send("WAIT slow\r\n")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(60))
        #expect(bed.channel.isActive)
        bed.gate.yield("done")
        #expect(try await bed.waitForOutput(containing: "+OK") == "+OK slow=done\r\n")
    }

    /// Marks the channel unwritable (or writable again) as a full socket buffer would, on its loop.
    func setWritable(_ bed: Bed, _ writable: Bool) async throws {
        let channel = bed.channel
        try await channel.testingEventLoop.submit {
            channel.isWritable = writable
            channel.pipeline.fireChannelWritabilityChanged()
        }.get()
    }

    @Test func aClientThatDoesNotReadStopsTheNextCommandAndTheNextWork() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await setWritable(bed, false)
        // Neither the pipelined echo nor the work runs while the client leaves its answers unread.
        try await bed.send("first\r\nWAIT k\r\n")
        #expect(try await bed.output() == "")
        try await setWritable(bed, true)
        #expect(try await bed.output() == "echo first\r\n")
        bed.gate.yield("v")
        #expect(try await bed.waitForOutput(containing: "+OK") == "+OK k=v\r\n")
    }

    @Test func aClientThatNeverReadsIsTimedOut() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await setWritable(bed, false)
        try await bed.send("one\r\ntwo\r\n")
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(9))
        #expect(bed.channel.isActive)
        await bed.channel.testingEventLoop.advanceTime(by: .seconds(2))
        #expect(try await bed.waitForOutput(containing: "-ERR timeout").contains("-ERR timeout"))
        #expect(!bed.channel.isActive)
    }

    /// Found by the read-path benchmark: every finished IMAP and POP3 session kept its memory (the idle
    /// timer's callback held the handler, which held the timer).
    @Test func aClosedConnectionFreesItsHandlerAndSession() async throws {
        weak var weakHandler: LineProtocolHandler<EchoSession>?
        do {
            let channel = NIOAsyncTestingChannel()
            let handler = LineProtocolHandler(session: EchoSession(), configuration: LineProtocolConfiguration(), tls: nil,
                                              logger: Logger(label: "test.line")) { key in .answer(key) }
            weakHandler = handler
            try await channel.pipeline.addHandler(handler).get()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
            try await channel.writeInbound(ByteBuffer(string: "hello\r\n"))
            try await channel.close().get()
        }
        #expect(weakHandler == nil, "the handler (and its session and channel) outlived the connection")
    }

    @Test func quiescingEndsAnIdleSessionAtOnce() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        bed.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try await bed.output() == "-ERR shutting down\r\n")
        #expect(!bed.channel.isActive)
    }

    @Test func quiescingLetsWorkUnderWayFinishFirst() async throws {
        let bed = try await Bed()
        _ = try await bed.output()
        try await bed.send("WAIT mail\r\n")
        bed.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try await bed.output() == "")
        #expect(bed.channel.isActive)
        bed.gate.yield("stored")
        let text = try await bed.waitForOutput(containing: "shutting down")
        #expect(text == "+OK mail=stored\r\n-ERR shutting down\r\n")
    }

    @Test func overLongLinesAreReportedOnceAndMemoryStaysBounded() async throws {
        let bed = try await Bed(configuration: LineProtocolConfiguration(maximumLineLength: 16))
        _ = try await bed.output()
        try await bed.send(String(repeating: "x", count: 100))
        try await bed.send(String(repeating: "y", count: 100) + "\r\nok\r\n")
        #expect(try await bed.output() == "-ERR too long\r\necho ok\r\n")
    }
}
