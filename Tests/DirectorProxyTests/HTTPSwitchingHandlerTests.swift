import Director
@testable import DirectorProxy
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ShoalCore
import Testing

/// The L7 switching handler on embedded channels (client and servers on one `EmbeddedEventLoop`): routing
/// to pools, forwarding headers, server connections reused across keep-alive requests, 503 for an empty
/// pool, the idle timeout on the loop's clock.
@Suite struct HTTPSwitchingHandlerTests {
    static let rules = """
        http:
          rules:
            - {path_prefix: /api/, method: POST, pool: api}
            - {path_prefix: /empty/, pool: empty}
        """
    static let vip = Endpoint("10.0.0.1:80")!
    static let web = Endpoint("10.0.0.2:8080")!, api = Endpoint("10.0.0.3:8080")!

    /// Server connections as embedded channels on the client's loop, in the order they were opened.
    final class Servers: @unchecked Sendable {
        let loop = EmbeddedEventLoop()
        var channels: [(Endpoint, EmbeddedChannel)] = []

        var connector: BackendConnector {
            BackendConnector { [self] _, destination, _, initialize in
                let channel = EmbeddedChannel(loop: loop)
                do { try initialize(channel) } catch { return loop.makeFailedFuture(error) }
                channels.append((destination, channel))
                return channel.connect(to: destination.socketAddress).map { channel as any Channel }
            }
        }
    }

    static func bed(idleTimeout: TimeAmount = .seconds(60)) throws -> (client: EmbeddedChannel, servers: Servers) {
        let scheduler = L7TableScheduler()
        let pools: [String: VirtualServiceKey] = ["api": .fwmark(2, .inet), "empty": .fwmark(4, .inet)]
        let config = try HTTPServiceConfig.parse(try ConfigDocument.parse(rules, file: "http.yaml").required("http"), pools: pools)
        try l7AddService(scheduler, .address(.tcp, vip), servers: [web])
        try l7AddService(scheduler, .fwmark(2, .inet), servers: [api])
        try l7AddService(scheduler, .fwmark(4, .inet), servers: [])
        let servers = Servers()
        let proxy = HTTPSwitchingProxy(config: config, scheduler: scheduler, virtual: vip, connectTimeout: .seconds(5),
                                       idleTimeout: idleTimeout, connector: servers.connector)
        let client = EmbeddedChannel(loop: servers.loop)
        try proxy.configure(client)
        try client.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        return (client, servers)
    }

    /// Everything written to `channel` so far, as text (the HTTP encoders write IOData).
    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case let .byteBuffer(buffer) = data { text += String(buffer: buffer) }
        }
        return text
    }

    static func answer(_ server: EmbeddedChannel, _ body: String) throws {
        try server.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
    }

    @Test func routesToThePoolAndForwardsTheClient() throws {
        let (client, servers) = try Self.bed()
        try client.writeInbound(ByteBuffer(string: "POST /api/v1 HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 2\r\n\r\nhi"))
        #expect(servers.channels.map(\.0) == [Self.api])
        let request = try Self.written(servers.channels[0].1)
        #expect(request.hasPrefix("POST /api/v1 HTTP/1.1\r\n"))
        #expect(request.contains("X-Forwarded-For: 192.0.2.7"))
        #expect(request.hasSuffix("\r\n\r\nhi"))
        try Self.answer(servers.channels[0].1, "api")
        let response = try Self.written(client)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix("\r\n\r\napi"))
    }

    @Test func keepAliveRequestsToOnePoolReuseTheServerConnection() throws {
        let (client, servers) = try Self.bed()
        for n in 0..<3 {
            try client.writeInbound(ByteBuffer(string: "GET /page\(n) HTTP/1.1\r\nHost: shop.test\r\n\r\n"))
            #expect(try Self.written(servers.channels.last!.1).hasPrefix("GET /page\(n) HTTP/1.1"))
            try Self.answer(servers.channels.last!.1, "p\(n)")
            #expect(try Self.written(client).hasSuffix("p\(n)"))
        }
        #expect(servers.channels.count == 1)
        #expect(servers.channels[0].0 == Self.web)
    }

    @Test func anEmptyPoolIsAnswered503() throws {
        let (client, servers) = try Self.bed()
        try client.writeInbound(ByteBuffer(string: "GET /empty/x HTTP/1.1\r\nHost: shop.test\r\n\r\n"))
        #expect(servers.channels.isEmpty)
        #expect(try Self.written(client).hasPrefix("HTTP/1.1 503"))
    }

    @Test func anIdleClientConnectionIsClosedOnTheLoopClock() throws {
        let (client, servers) = try Self.bed(idleTimeout: .seconds(30))
        servers.loop.advanceTime(by: .seconds(29))
        #expect(client.isActive)
        servers.loop.advanceTime(by: .seconds(2))
        #expect(!client.isActive)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b.test\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.test:80x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [１::ａ]:80\r\n\r\n",  // fullwidth hex digits (http-host fuzz target)
    ])
    func aMissingDuplicateOrInvalidHostIsAnswered400(_ request: String) throws {
        // Issue 10 #7 (RFC 9112 §3.2): such a request is never forwarded.
        let (client, servers) = try Self.bed()
        try client.writeInbound(ByteBuffer(string: request))
        #expect(servers.channels.isEmpty)
        #expect(try Self.written(client).hasPrefix("HTTP/1.1 400 Bad Request"))
    }

    @Test func anHTTP10RequestWithoutHostAndAnIPv6HostAreForwarded() throws {
        let (client, servers) = try Self.bed()
        try client.writeInbound(ByteBuffer(string: "GET /old HTTP/1.0\r\n\r\n"))
        #expect(servers.channels.count == 1)
        #expect(try Self.written(servers.channels[0].1).hasPrefix("GET /old HTTP/1.1"))
        let (client6, servers6) = try Self.bed()
        try client6.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n"))
        #expect(servers6.channels.count == 1)
        _ = client
    }
}
