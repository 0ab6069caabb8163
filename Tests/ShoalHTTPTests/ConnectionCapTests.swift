import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import ShoalCore
import ShoalHTTP
import ShoalServer
import Testing

/// Over the connection cap a connection gets 503 and is closed; a real server on loopback keeps the cap
/// and shuts down gracefully.
@Suite struct ConnectionCapTests {
    @Test func anOverloadedConnectionGets503AndIsClosed() async throws {
        let channel = try await NIOAsyncTestingChannel { try HTTPServerPipeline.configureOverloaded($0) }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        let written = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let text = String(buffer: written)
        #expect(text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        await channel.testingEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test func aRealServerRefusesConnectionsOverItsCapAndShutsDownGracefully() async throws {
        // Timeouts far beyond the test: in a full parallel test run its steps can stall for many seconds, and
        // a connection closed for silence is not what this test is about.
        let configuration = HTTPServerConfiguration(headerReadTimeout: .seconds(600), idleTimeout: .seconds(600), maxConnections: 2)
        let server = HTTPServerChild.server(listen: Endpoint(IPAddress("127.0.78.1")!, 0), configuration: configuration,
                                            responder: EchoResponder(), group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        let address = try await server.start()
        let a = try await RawClient.connect(address), b = try await RawClient.connect(address)
        // Both admitted: each is served.
        #expect(try await a.exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\n").contains("GET /a 0"))
        #expect(try await b.exchange("GET /b HTTP/1.1\r\nHost: x\r\n\r\n").contains("GET /b 0"))
        #expect(server.registry.count == 2)
        // A third is answered 503 and closed without being asked anything.
        let c = try await RawClient.connect(address)
        let refused = try await c.readUntilClosed()
        #expect(refused.hasPrefix("HTTP/1.1 503"))
        // One leaves: a new one is served again.
        try await a.close()
        while server.registry.count > 1 { try await Task.sleep(for: .milliseconds(10)) }
        // Admitted once the server has let the first one go (a loaded machine may still refuse the first try).
        var d = try await RawClient.connect(address)
        var served = (try? await d.exchange("GET /d HTTP/1.1\r\nHost: x\r\n\r\n"))?.contains("GET /d 0") == true
        for _ in 0..<50 where !served {
            try await Task.sleep(for: .milliseconds(100))
            d = try await RawClient.connect(address)
            served = (try? await d.exchange("GET /d HTTP/1.1\r\nHost: x\r\n\r\n"))?.contains("GET /d 0") == true
        }
        #expect(served)
        // Shutdown closes the idle kept-alive connections and returns.
        await server.shutdownGracefully()
        #expect(try await b.readUntilClosed() == "")
        #expect(try await d.readUntilClosed() == "")
        #expect(server.registry.count == 0)
        await #expect(throws: ServerStateError.self) { try await server.start() }
    }
}

/// A raw TCP client on NIO (nothing blocks a concurrency thread): send text, read what comes back.
final class RawClient: Sendable {
    let channel: any Channel
    let inbound: InboundBox

    init(channel: any Channel, inbound: InboundBox) {
        self.channel = channel
        self.inbound = inbound
    }

    static func connect(_ address: Endpoint) async throws -> RawClient {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StreamingHandler(continuation))
                }
            }
            .connect(host: "\(address.address)", port: Int(address.port)).get()
        return RawClient(channel: channel, inbound: InboundBox(stream.makeAsyncIterator()))
    }

    /// Sends a request and reads until a whole response with a `Content-Length` body has come.
    func exchange(_ request: String) async throws -> String {
        try await channel.writeAndFlush(ByteBuffer(string: request))
        var text = ""
        while RawResponse.parse(text) == nil {
            guard let chunk = await inbound.next() else { throw TestFailure("closed after: \(text)") }
            text += String(buffer: chunk)
        }
        return text
    }

    /// Everything the server sends until it closes.
    func readUntilClosed() async throws -> String {
        var text = ""
        while let chunk = await inbound.next() { text += String(buffer: chunk) }
        return text
    }

    func close() async throws { try await channel.close() }
}

/// Hands what the server sends to an async stream, and finishes it when the connection closes.
final class StreamingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation

    init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
    func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
    // A reset after the answer counts as closed.
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// A shared, mutable stream iterator (tests pass the client around).
final class InboundBox: @unchecked Sendable {
    var iterator: AsyncStream<ByteBuffer>.AsyncIterator
    init(_ iterator: AsyncStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }
    func next() async -> ByteBuffer? { await iterator.next() }
}
