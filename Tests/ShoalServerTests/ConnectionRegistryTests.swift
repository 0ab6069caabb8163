import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import ShoalServer
import Testing

/// Counting, quiescing, waiting and the drain deadline, on embedded channels.
@Suite struct ConnectionRegistryTests {
    /// Records the user events a channel sees.
    final class EventRecorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = Never
        let quiesced = NIOLockedValueBox(0)
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { quiesced.withLockedValue { $0 += 1 } }
        }
    }

    static func channel(_ recorder: EventRecorder? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        if let recorder { try channel.pipeline.syncOperations.addHandler(recorder) }
        return channel
    }

    @Test func countsOpenConnectionsUntilTheyClose() throws {
        let registry = ConnectionRegistry()
        let a = try Self.channel(), b = try Self.channel()
        #expect(registry.register(a))
        #expect(registry.register(b))
        #expect(registry.count == 2)
        _ = try a.finish()
        #expect(registry.count == 1)
        _ = try b.finish()
        #expect(registry.count == 0)
        #expect(registry.acceptedTotal == 2)
    }

    @Test func refusesConnectionsBeyondTheCap() throws {
        let registry = ConnectionRegistry(maximumConnections: 1)
        let a = try Self.channel(), b = try Self.channel()
        #expect(registry.register(a))
        #expect(!registry.register(b))
        #expect(registry.count == 1)
        _ = try a.finish()
        #expect(registry.register(b))
    }

    @Test func quiesceReachesOpenConnectionsAndLateOnes() throws {
        let registry = ConnectionRegistry()
        let early = EventRecorder(), late = EventRecorder()
        registry.register(try Self.channel(early))
        registry.quiesce()
        registry.register(try Self.channel(late))
        #expect(early.quiesced.withLockedValue { $0 } == 1)
        #expect(late.quiesced.withLockedValue { $0 } == 1)
        #expect(registry.isQuiescing)
    }

    @Test func waitUntilEmptyReturnsWhenTheLastConnectionCloses() async throws {
        let registry = ConnectionRegistry()
        await registry.waitUntilEmpty()  // none open: at once
        let channel = try Self.channel()
        registry.register(channel)
        async let waited: Void = registry.waitUntilEmpty()
        try await Task.sleep(nanoseconds: 10_000_000)
        #expect(registry.count == 1)
        _ = try channel.finish()
        await waited
        #expect(registry.count == 0)
    }

    @Test func drainClosesWhatIsStillOpenAtTheDeadline() async throws {
        let registry = ConnectionRegistry()
        let recorder = EventRecorder()
        let stubborn = try Self.channel(recorder)
        registry.register(stubborn)
        let closed = await registry.drain(timeout: .milliseconds(20))
        #expect(closed == 1)
        #expect(recorder.quiesced.withLockedValue { $0 } == 1)
        stubborn.embeddedEventLoop.run()  // the close runs its callbacks on the channel's own loop
        #expect(!stubborn.isActive)
        #expect(registry.count == 0)
    }

    @Test func drainReturnsAtOnceWhenConnectionsFinish() async throws {
        let registry = ConnectionRegistry()
        let polite = try Self.channel()
        registry.register(polite)
        async let closed = registry.drain(timeout: .seconds(3600))
        try await Task.sleep(nanoseconds: 10_000_000)
        _ = try polite.finish()
        #expect(await closed == 0)
    }
}
