import DirectorProxy
import Foundation
import ShoalTestFixtures
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalCore
import Testing

/// PROXY headers against real peers: nginx reads the ones this module writes; haproxy writes the ones
/// the receiver reads. Addresses 127.77.1.x.
@Suite(.serialized) struct ProxyProtocolInteropTests {
    @Test func nginxReadsOurV1AndV2Headers() async throws {
        let listen = l7Endpoint("127.77.1.5:8080")
        let nginx = try await l7Nginx(servers: """
            server {
                listen \(listen) proxy_protocol;
                location / { return 200 "$proxy_protocol_addr:$proxy_protocol_port"; }
            }
            """, listening: [listen])
        defer { nginx.stop() }
        let cases: [(ProxyProtocolVersion, Endpoint, String)] = [
            (.v1, l7Endpoint("203.0.113.77:45678"), "203.0.113.77:45678"),
            (.v2, l7Endpoint("198.51.100.23:1234"), "198.51.100.23:1234"),
            (.v1, l7Endpoint("[2001:db8::77]:4242"), "2001:db8::77:4242"),
            (.v2, l7Endpoint("[2001:db8::78]:4343"), "2001:db8::78:4343"),
        ]
        for (version, source, expected) in cases {
            let destination = source.address.family == .inet ? listen : l7Endpoint("[2001:db8::1]:8080")
            var bytes = ProxyProtocolHeader(source: source, destination: destination).encoded(version)
            bytes.writeString("GET / HTTP/1.0\r\nHost: pp\r\n\r\n")
            let answer = try await l7RawExchange(listen, send: bytes)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(version): \(answer)")
            #expect(answer.hasSuffix("\r\n\r\n" + expected), "\(version) \(source): \(answer)")
        }
    }

    /// Answers `source=<header source> data=<first bytes>` and closes.
    final class Reporter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var source = "none"
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let received = event as? ProxyProtocolReceived {
                source = received.header.source.map { "\($0)" } ?? "unknown"
            }
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "source=\(source) data=\(text)")))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    @Test(arguments: ["send-proxy", "send-proxy-v2"])
    func haproxyHeadersReachTheReceiver(option: String) async throws {
        let haproxyPath = try l7Tool("haproxy", package: "haproxy")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxyProtocolReceiver())
                    try channel.pipeline.syncOperations.addHandler(Reporter())
                }
            }
            .bind(host: "127.77.1.7", port: 0).get()
        let serverPort = server.localAddress!.port!
        let front = l7Endpoint(option == "send-proxy" ? "127.77.1.6:8080" : "127.77.1.6:8081")
        let dir = try l7TempDirectory("haproxy")
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            global
                maxconn 100
            defaults
                mode tcp
                timeout connect 10s
                timeout client 60s
                timeout server 60s
            frontend fe
                bind \(front)
                default_backend be
            backend be
                server s1 127.77.1.7:\(serverPort) \(option)

            """.write(to: dir.appendingPathComponent("haproxy.cfg"), atomically: true, encoding: .utf8)
        let haproxy = try TestProcess(haproxyPath, ["-f", dir.appendingPathComponent("haproxy.cfg").path, "-db"], logDirectory: dir.path)
        defer { haproxy.kill() }
        try await TestPorts.waitForListener("\(front.address)", Int(front.port), timeout: 30, process: haproxy)
        let output = try await l7Python("source_and_answer.py", ["\(front.address)", "\(front.port)", "127.77.1.9"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = output.split(separator: "|", maxSplits: 1).map(String.init)
        try #require(parts.count == 2, "python said: \(output)")
        #expect(parts[1] == "source=\(parts[0]) data=hello", "\(option): \(output)")
        #expect(parts[0].hasPrefix("127.77.1.9:"))
        try? await server.close().get()
        try? await group.shutdownGracefully()
    }
}
