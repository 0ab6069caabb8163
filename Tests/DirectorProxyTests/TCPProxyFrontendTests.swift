import Director
@testable import DirectorProxy
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import ShoalCore
import ShoalServer
import Testing

/// The L4 frontend on embedded channels (client and server connections on one `EmbeddedEventLoop`): splice
/// both ways, data sent before the server is up, a refusing server skipped, the idle timeout on the
/// loop's clock.
@Suite struct TCPProxyFrontendTests {
    /// Hands out the servers in order, skipping excluded ones; records what happened to each lease.
    final class Scheduler: ConnectionScheduler, @unchecked Sendable {
        let servers: [Endpoint]
        private let lock = NIOLock()
        private(set) var abandoned: [Endpoint] = []
        private(set) var closed: [Endpoint] = []
        private(set) var inBytes: UInt64 = 0
        private(set) var outBytes: UInt64 = 0

        init(_ servers: [String]) { self.servers = servers.map { Endpoint($0)! } }

        func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease? {
            servers.first { !excluding.contains($0) }.map { ProxyLease(connection: nil, destination: $0) }
        }
        func abandon(_ lease: ProxyLease) { lock.withLock { abandoned.append(lease.destination) } }
        func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64) {
            lock.withLock { self.inBytes += inBytes; self.outBytes += outBytes }
        }
        func closed(_ lease: ProxyLease) { lock.withLock { closed.append(lease.destination) } }
        func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool { true }
        func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease? { nil }
    }

    /// Server connections as embedded channels; `refuse` fails connections to those servers, `hold` leaves
    /// them pending until the test completes the promise.
    final class Servers: @unchecked Sendable {
        let loop: EmbeddedEventLoop
        var refuse: Set<Endpoint> = []
        var hold = false
        var connected: [(Endpoint, EmbeddedChannel)] = []
        var pending: [(EventLoopPromise<any Channel>, EmbeddedChannel, Endpoint)] = []

        init(loop: EmbeddedEventLoop) { self.loop = loop }

        var connector: BackendConnector {
            BackendConnector { [self] _, destination, _, initialize in
                if refuse.contains(destination) { return loop.makeFailedFuture(ChannelError.connectTimeout(.seconds(3))) }
                let channel = EmbeddedChannel(loop: loop)
                do { try initialize(channel) } catch { return loop.makeFailedFuture(error) }
                if hold {
                    let promise = loop.makePromise(of: (any Channel).self)
                    pending.append((promise, channel, destination))
                    return promise.futureResult
                }
                return connect(channel, destination)
            }
        }

        func connect(_ channel: EmbeddedChannel, _ destination: Endpoint) -> EventLoopFuture<any Channel> {
            connected.append((destination, channel))
            return channel.connect(to: destination.socketAddress).map { channel as any Channel }
        }

        func release() {
            for (promise, channel, destination) in pending { connect(channel, destination).cascade(to: promise) }
            pending = []
        }
    }

    static func client(_ scheduler: Scheduler, _ servers: Servers, settings: ProxySettings = ProxySettings()) throws -> EmbeddedChannel {
        let client = EmbeddedChannel(loop: servers.loop)
        let frontend = TCPProxyFrontend(service: .address(.tcp, Endpoint("10.0.0.1:80")!), virtual: Endpoint("10.0.0.1:80")!,
                                        scheduler: scheduler, settings: settings, logger: Logger(label: "test.proxy"),
                                        connector: servers.connector)
        try client.pipeline.syncOperations.addHandler(frontend)
        try client.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        return client
    }

    static func text(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func splicesBothWaysWithoutChangingTheClientPipeline() throws {
        let scheduler = Scheduler(["10.0.0.2:80"])
        let servers = Servers(loop: EmbeddedEventLoop())
        let client = try Self.client(scheduler, servers)
        #expect(servers.connected.count == 1)
        let server = servers.connected[0].1
        try client.writeInbound(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
        #expect(try Self.text(server) == "GET / HTTP/1.0\r\n\r\n")
        try server.writeInbound(ByteBuffer(string: "HTTP/1.0 200 OK\r\n\r\nhi"))
        #expect(try Self.text(client) == "HTTP/1.0 200 OK\r\n\r\nhi")
        // One handler per side (issue 19): the frontend stays and drives the client side's glue itself.
        #expect((try? client.pipeline.syncOperations.handler(type: TCPProxyFrontend.self)) != nil)
        #expect(throws: (any Error).self) { try client.pipeline.syncOperations.handler(type: TCPProxyGlue.self) }
        #expect((try? server.pipeline.syncOperations.handler(type: TCPProxyGlue.self)) != nil)
        _ = try server.finish()
        servers.loop.run()
        #expect(!client.isActive)  // the server's close reaches the client
        #expect(scheduler.closed == [Endpoint("10.0.0.2:80")!])
        #expect(scheduler.inBytes == 18 && scheduler.outBytes == 21)
    }

    @Test func dataSentBeforeTheServerIsUpIsPassedOnOnceConnected() throws {
        let scheduler = Scheduler(["10.0.0.2:80"])
        let servers = Servers(loop: EmbeddedEventLoop())
        servers.hold = true
        let client = try Self.client(scheduler, servers)
        try client.writeInbound(ByteBuffer(string: "early "))
        try client.writeInbound(ByteBuffer(string: "bytes"))
        servers.release()
        #expect(try Self.text(servers.connected[0].1) == "early bytes")
    }

    @Test func aRefusingServerIsSkippedAndAbandoned() throws {
        let scheduler = Scheduler(["10.0.0.2:80", "10.0.0.3:80"])
        let servers = Servers(loop: EmbeddedEventLoop())
        servers.refuse = [Endpoint("10.0.0.2:80")!]
        let client = try Self.client(scheduler, servers)
        #expect(servers.connected.map(\.0) == [Endpoint("10.0.0.3:80")!])
        #expect(scheduler.abandoned == [Endpoint("10.0.0.2:80")!])
        #expect(client.isActive)
    }

    @Test func whenEveryServerRefusesTheClientIsClosed() throws {
        let scheduler = Scheduler(["10.0.0.2:80"])
        let servers = Servers(loop: EmbeddedEventLoop())
        servers.refuse = [Endpoint("10.0.0.2:80")!]
        let client = try Self.client(scheduler, servers)
        #expect(!client.isActive)
        #expect(servers.connected.isEmpty)
    }

    @Test func silenceOnBothSidesClosesAfterTheIdleTimeout() throws {
        var settings = ProxySettings()
        settings.idleTimeout = .seconds(60)
        let scheduler = Scheduler(["10.0.0.2:80"])
        let servers = Servers(loop: EmbeddedEventLoop())
        let client = try Self.client(scheduler, servers, settings: settings)
        let server = servers.connected[0].1
        servers.loop.advanceTime(by: .seconds(50))
        try server.writeInbound(ByteBuffer(string: "tick"))  // traffic from the server side counts too
        servers.loop.advanceTime(by: .seconds(50))
        #expect(client.isActive)
        servers.loop.advanceTime(by: .seconds(11))
        #expect(!client.isActive)
        #expect(!server.isActive)
    }
}
