import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalCore
import ShoalServer
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The generic server on loopback: binding, one socket per loop, the connection cap, graceful drain.
@Suite struct ServerTests {
    /// Echoes bytes back; ignores quiesce (so a drain has to wait for the client or the deadline).
    final class Echo: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.writeAndFlush(data, promise: nil)
        }
    }

    static let logger = Logger(label: "test.server")

    static func echoServer(_ configuration: ListenerConfiguration) -> Server<PipelineChild> {
        Server(child: PipelineChild { channel in try channel.pipeline.syncOperations.addHandler(Echo()) },
               configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// A loopback client that collects what it receives.
    final class Client: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox("")

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            received.withLockedValue { $0 += text }
        }
    }

    static func connect(_ address: Endpoint) async throws -> (any Channel, Client) {
        let client = Client()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(client) } }
            .connect(to: address.socketAddress).get()
        return (channel, client)
    }

    /// Sends `text` and waits (up to 5 s) until the echo has come back.
    static func roundTrip(_ connection: (any Channel, Client), _ text: String) async throws -> String {
        let before = connection.1.received.withLockedValue { $0 }
        try await connection.0.writeAndFlush(ByteBuffer(string: text)).get()
        for _ in 0..<500 {
            let now = connection.1.received.withLockedValue { $0 }
            if now.count >= before.count + text.count { return String(now.dropFirst(before.count)) }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return ""
    }

    /// Waits (up to 5 s) for the server to close the connection.
    static func closedByServer(_ connection: (any Channel, Client)) async -> Bool {
        for _ in 0..<500 {
            if !connection.0.isActive { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return false
    }

    @Test func bindsAPortAndServesTheChild() async throws {
        let server = Self.echoServer(ListenerConfiguration(address: Endpoint("127.0.0.1:0")!))
        let address = try await server.start()
        #expect(address.port != 0)
        let client = try await Self.connect(address)
        #expect(try await Self.roundTrip(client, "hello") == "hello")
        #expect(server.registry.count == 1)
        try await client.0.close()
        await server.shutdownGracefully()
    }

    @Test func oneSocketPerEventLoopWithReusePort() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let server = Server(child: PipelineChild { _ in }, configuration: ListenerConfiguration(address: Endpoint("127.0.0.1:0")!, socketPerEventLoop: true),
                            group: group, logger: Self.logger)
        _ = try await server.start()
        await server.shutdownGracefully()
        try await group.shutdownGracefully()
    }

    @Test func aBusyAddressFailsAndNamesIt() async throws {
        let first = Self.echoServer(ListenerConfiguration(address: Endpoint("127.0.0.1:0")!))
        let address = try await first.start()
        let second = Self.echoServer(ListenerConfiguration(address: address))
        await #expect {
            try await second.start()
        } throws: { error in
            "\(error)".contains("\(address)")
        }
        await first.shutdownGracefully()
    }

    @Test func connectionsBeyondTheCapAreClosed() async throws {
        let server = Self.echoServer(ListenerConfiguration(address: Endpoint("127.0.0.1:0")!, maximumConnections: 1))
        let address = try await server.start()
        let kept = try await Self.connect(address)
        #expect(try await Self.roundTrip(kept, "a") == "a")
        let refused = try await Self.connect(address)
        #expect(await Self.closedByServer(refused))
        #expect(refused.1.received.withLockedValue { $0 }.isEmpty)
        #expect(server.registry.count == 1)
        try await kept.0.close()
        await server.shutdownGracefully()
    }

    @Test func gracefulShutdownStopsAcceptingAndWaitsForOpenConnections() async throws {
        let server = Self.echoServer(ListenerConfiguration(address: Endpoint("127.0.0.1:0")!, drainTimeout: .seconds(60)))
        let address = try await server.start()
        let client = try await Self.connect(address)
        #expect(try await Self.roundTrip(client, "x") == "x")
        let drained = Task { await server.shutdownGracefully() }
        // The listener closes first: new connections are refused while the old one still works.
        var refused = false
        for _ in 0..<100 where !refused {
            if let probe = try? await Self.connect(address) {
                try? await probe.0.close()
                try await Task.sleep(nanoseconds: 10_000_000)
            } else {
                refused = true
            }
        }
        #expect(refused)
        #expect(try await Self.roundTrip(client, "still") == "still")
        try await client.0.close()
        await drained.value
        #expect(server.registry.count == 0)
    }

    @Test func theDrainDeadlineClosesConnectionsThatDoNotFinish() async throws {
        let server = Self.echoServer(ListenerConfiguration(address: Endpoint("127.0.0.1:0")!, drainTimeout: .milliseconds(50)))
        let address = try await server.start()
        let client = try await Self.connect(address)
        #expect(try await Self.roundTrip(client, "x") == "x")
        await server.shutdownGracefully()
        #expect(await Self.closedByServer(client))
    }
}

/// The open-files limit a node raises at start, and the allocator settings it makes.
@Suite struct ProcessLimitsTests {
    /// A batch buffer (512 KiB) freed and allocated again on one thread is the same memory, not pages the
    /// kernel hands out (and faults in) afresh: glibc's default maps it anew each time.
    @Test func aFreedBatchBufferIsReusedWithoutPageFaults() throws {
        #expect(ProcessLimits.keepFreedMemory())
        func faults() -> Int {
            var usage = rusage()
            getrusage(1, &usage)  // RUSAGE_THREAD (Glibc does not import it)
            return usage.ru_minflt
        }
        // Other tests' threads share the heaps and may take the freed block between the free and the malloc, so
        // the best of five tries counts; glibc's default maps every one of them afresh (128 faults each).
        let size = 512 * 1024
        var fewest = Int.max
        for _ in 0..<5 {
            let first = try #require(malloc(size))
            memset(first, 0x41, size)
            free(first)
            let before = faults()
            let second = try #require(malloc(size))
            memset(second, 0x42, size)
            fewest = min(fewest, faults() - before)
            free(second)
        }
        #expect(fewest < 16, "faulted at least \(fewest) pages of a reused 128-page block")
    }

    @Test func theSoftOpenFilesLimitIsRaisedToTheHardOne() {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let hard = limit.rlim_max
        limit.rlim_cur = min(1024, hard)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #expect(ProcessLimits.raiseOpenFiles() == Int(hard))
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #expect(limit.rlim_cur == hard)
    }
}
