import Foundation
import HTTPCache
import ICP
import NIOCore
import NIOPosix
import ShoalTestFixtures
import Testing

/// Cache farms over ICP: three Shoal nodes, and Shoal beside a real Squid 5.7 in both directions.
@Suite(.serialized) struct ICPInteropTests {
    /// Sends one datagram to `target` from a socket of our own and returns the first reply (nil after 3 s).
    static func exchange(_ bytes: [UInt8], host: String, to target: String, port: Int) async throws -> [UInt8]? {
        let replies = AsyncStream<[UInt8]>.makeStream()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DatagramCollector(continuation: replies.continuation)) }
            }
            .bind(host: host, port: 0).get()
        defer { channel.close(promise: nil) }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: try SocketAddress(ipAddress: target, port: port), data: buffer)).get()
        let timeout = Task { try await Task.sleep(for: .seconds(3)); replies.continuation.finish() }
        defer { timeout.cancel() }
        for await reply in replies.stream { return reply }
        return nil
    }

    @Test func threeNodesSiblingHitAndOneOriginFetch() async throws {
        let origin = try await OriginFixture(host: "127.0.182.1")
        defer { origin.stop() }
        let hosts = ["127.0.182.2", "127.0.182.3", "127.0.182.4"]
        let icpPorts = try hosts.map { try TestPorts.free(host: $0) }
        // HTTP ports are known only after binding: start each node with its peers' ICP ports and HTTP ports chosen up front.
        let httpPorts = try hosts.map { try TestPorts.free(host: $0) }
        var nodes: [CacheNodeFixture] = []
        for (index, host) in hosts.enumerated() {
            let peers = hosts.indices.filter { $0 != index }.map { "{ icp: \"\(hosts[$0]):\(icpPorts[$0])\", http: \"\(hosts[$0]):\(httpPorts[$0])\", type: sibling }" }
            nodes.append(try await CacheNodeFixture(host: host, origin: origin, name: "node\(index)", icpPort: icpPorts[index], peers: peers,
                                                    httpPort: httpPorts[index]))
        }
        let a = try await Curl.get(nodes[0].proxy + "/fresh.txt")
        #expect(a.status == 200 && a.headers["x-cache"] == "MISS from node0")
        let b = try await Curl.get(nodes[1].proxy + "/fresh.txt")
        #expect(b.status == 200 && b.body == "contents of fresh.txt\n")
        #expect(origin.fetches("/fresh.txt").count == 1)
        #expect(try await nodes[1].metric("shoal_cache_sibling_hits_total") == 1)
        #expect(try await eventually { nodes[1].accessLog.contains("SIBLING_HIT/\(hosts[0])") || nodes[1].accessLog.contains("SIBLING_HIT/127.0.182.") })
        #expect(try await nodes[0].metric("shoal_icp_sent_total{opcode=\"hit\"}") == 1)
        // A URL nobody has: everyone answers MISS, the origin is asked once.
        _ = try await Curl.get(nodes[2].proxy + "/big.bin")
        #expect(origin.fetches("/big.bin").count == 1)
        // A silent sibling is marked down and probed: stop node 2; node 0's next queries stop waiting for it.
        await nodes[2].stop()
        for path in ["/zero.txt", "/vary.txt", "/private.txt"] { _ = try await Curl.get(nodes[0].proxy + path) }
        #expect(nodes[0].node.icp?.health[1].isUp == false)
        #expect(nodes[0].node.icp?.health[0].isUp == true)
        for node in nodes.prefix(2) { await node.stop() }
    }

    @Test func malformedAndVersion3DatagramsAreDroppedAndCounted() async throws {
        let port = try TestPorts.free(host: "127.0.182.10")
        let node = try await CacheNodeFixture(host: "127.0.182.10", origin: nil, icpPort: port, extra: "forward_proxy: true\n")
        var v3 = try ICPMessage(opcode: .query, requestNumber: 9, url: "http://x/").encoded()
        v3[1] = 3
        #expect(try await Self.exchange(v3, host: "127.0.182.11", to: "127.0.182.10", port: port) == nil)
        #expect(try await Self.exchange([1, 2, 3], host: "127.0.182.11", to: "127.0.182.10", port: port) == nil)
        var unknown = try ICPMessage(opcode: .query, requestNumber: 10, url: "http://x/").encoded()
        unknown[0] = 99
        let err = try await Self.exchange(unknown, host: "127.0.182.11", to: "127.0.182.10", port: port).map { try ICPMessage(decoding: $0) }
        #expect(err?.opcode == .err && err?.requestNumber == 10)
        // Still serving: a well-formed query gets MISS, an echo its echo.
        let query = try ICPMessage(opcode: .query, requestNumber: 11, url: "http://x/").encoded()
        let miss = try await Self.exchange(query, host: "127.0.182.11", to: "127.0.182.10", port: port).map { try ICPMessage(decoding: $0) }
        #expect(miss?.opcode == .miss && miss?.requestNumber == 11)
        let echo = try await Self.exchange(ICPMessage(opcode: .secho, requestNumber: 12, url: "http://x/").encoded(), host: "127.0.182.11",
                                           to: "127.0.182.10", port: port).map { try ICPMessage(decoding: $0) }
        #expect(echo?.opcode == .secho)
        // A query near RFC 2186's 16 KiB cap is read whole and answered.
        let longURL = "http://x/" + String(repeating: "a", count: 12_000)
        let long = try await Self.exchange(ICPMessage(opcode: .query, requestNumber: 13, url: longURL).encoded(), host: "127.0.182.11",
                                           to: "127.0.182.10", port: port).map { try ICPMessage(decoding: $0) }
        #expect(long?.opcode == .miss && long?.url == longURL)
        #expect(try await node.metric("shoal_icp_dropped_total{reason=\"version\"}") == 1)
        #expect(try await node.metric("shoal_icp_dropped_total{reason=\"short\"}") == 1)
        #expect(try await node.metric("shoal_icp_dropped_total{reason=\"malformed\"}") == 1)
        await node.stop()
    }

    @Test func deniedOutsideTheACL() async throws {
        let port = try TestPorts.free(host: "127.0.182.12")
        let node = try await CacheNodeFixture(host: "127.0.182.12", origin: nil, icpPort: port,
                                              extra: "forward_proxy: true\n", icpAllow: ["127.0.182.13"])
        let query = try ICPMessage(opcode: .query, requestNumber: 1, url: "http://x/").encoded()
        let allowed = try await Self.exchange(query, host: "127.0.182.13", to: "127.0.182.12", port: port).map { try ICPMessage(decoding: $0) }
        #expect(allowed?.opcode == .miss)
        let denied = try await Self.exchange(query, host: "127.0.182.14", to: "127.0.182.12", port: port).map { try ICPMessage(decoding: $0) }
        #expect(denied?.opcode == .denied)
        await node.stop()
    }

    @Test func squidWithShoalAsSiblingLogsSiblingHit() async throws {
        let origin = try await OriginFixture(host: "127.0.183.1")
        defer { origin.stop() }
        let icpPort = try TestPorts.free(host: "127.0.183.2")
        let httpPort = try TestPorts.free(host: "127.0.183.2")
        let shoal = try await CacheNodeFixture(host: "127.0.183.2", origin: origin, name: "shoal", icpPort: icpPort, httpPort: httpPort)
        let squid = try await SquidFixture(host: "127.0.183.3", peers: ["127.0.183.2 sibling \(httpPort) \(icpPort)"])
        defer { squid.stop() }
        _ = try await Curl.get(shoal.proxy + "/fresh.txt")                       // Shoal holds the object
        let viaSquid = try await Curl.get("http://\(origin.authority)/fresh.txt", proxy: squid.proxy)
        #expect(viaSquid.status == 200 && viaSquid.body == "contents of fresh.txt\n")
        #expect(try await eventually { squid.accessLog.contains("SIBLING_HIT/127.0.183.2") }, "squid log:\n\(squid.accessLog)")
        #expect(origin.fetches("/fresh.txt").count == 1)
        #expect((try await shoal.metric("shoal_icp_sent_total{opcode=\"hit\"}") ?? 0) >= 1)
        await shoal.stop()
    }

    @Test func shoalWithSquidAsSiblingGetsTheObjectFromSquid() async throws {
        let origin = try await OriginFixture(host: "127.0.184.1")
        defer { origin.stop() }
        let squid = try await SquidFixture(host: "127.0.184.3")
        defer { squid.stop() }
        let viaSquid = try await Curl.get("http://\(origin.authority)/fresh.txt", proxy: squid.proxy)  // Squid holds the object
        #expect(viaSquid.status == 200)
        let icpPort = try TestPorts.free(host: "127.0.184.2")
        let shoal = try await CacheNodeFixture(host: "127.0.184.2", origin: origin, name: "shoal", icpPort: icpPort,
                                               peers: ["{ icp: \"127.0.184.3:\(squid.icpPort)\", http: \"127.0.184.3:\(squid.httpPort)\", type: sibling }"])
        let viaShoal = try await Curl.get(shoal.proxy + "/fresh.txt")
        #expect(viaShoal.status == 200 && viaShoal.body == "contents of fresh.txt\n")
        #expect(origin.fetches("/fresh.txt").count == 1)
        #expect(try await shoal.metric("shoal_cache_sibling_hits_total") == 1)
        #expect(try await eventually { squid.accessLog.contains("TCP_MEM_HIT/200") || squid.accessLog.contains("TCP_HIT/200") },
                "squid log:\n\(squid.accessLog)")
        await shoal.stop()
    }
}

/// Hands each received datagram's bytes to a stream.
final class DatagramCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let continuation: AsyncStream<[UInt8]>.Continuation
    init(continuation: AsyncStream<[UInt8]>.Continuation) { self.continuation = continuation }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        continuation.yield(envelope.data.readBytes(length: envelope.data.readableBytes) ?? [])
    }
}
