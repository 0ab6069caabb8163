import Director
import DirectorProxy
import Logging
import NIOCore
import NIOEmbedded
import ShoalCore

/// The L7 HTTP request path: raw client bytes through the pipeline `HTTPSwitchingProxy.configure` builds
/// (NIOHTTP1's decoder, then `HTTPSwitchingHandler`: routing rules, the Host check, hop-by-hop stripping,
/// forwarding headers, cookie persistence), optionally behind a `ProxyProtocolReceiver`, with servers on
/// embedded channels that answer every request.
///
/// Input: byte 0 picks the read size and whether a PROXY header comes first, the rest is the client's stream.
enum HTTPRequestTarget {
    static let rules = """
        http:
          cookie: SHOALSRV
          rules:
            - {host: "*.static.test", pool: static}
            - {path_prefix: /api/, method: POST, pool: api}
            - {path_regex: "^/v[0-9]+/items/[^/]+$", pool: api}
            - {header: {name: X-Pool, value: empty}, pool: empty}
        """
    static let virtual = Endpoint("10.0.0.1:80")!
    static let pools: [String: VirtualServiceKey] = ["api": .fwmark(2, .inet), "static": .fwmark(3, .inet), "empty": .fwmark(4, .inet)]
    static let config: HTTPServiceConfig = {
        do {
            return try HTTPServiceConfig.parse(try ConfigDocument.parse(rules, file: "fuzz.yaml").required("http"), pools: pools)
        } catch {
            fatalError("the fuzz target's own rules do not parse: \(error)")
        }
    }()
    static let scheduler = FuzzScheduler(servers: [
        .address(.tcp, virtual): Endpoint("10.0.0.2:8080")!, .fwmark(2, .inet): Endpoint("10.0.0.3:8080")!,
        .fwmark(3, .inet): Endpoint("10.0.0.4:8080")!,
    ])
    static let quiet = Logger(label: "shoal.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    static let response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=b\r\n\r\nok"

    /// Server connections the proxy opened, as embedded channels on the client's loop.
    final class Servers: @unchecked Sendable {
        let loop = EmbeddedEventLoop()
        var channels: [EmbeddedChannel] = []

        var connector: BackendConnector {
            BackendConnector { [self] _, destination, _, initialize in
                let channel = EmbeddedChannel(loop: loop)
                do { try initialize(channel) } catch { return loop.makeFailedFuture(error) }
                channels.append(channel)
                return channel.connect(to: destination.socketAddress).map { channel as any Channel }
            }
        }
    }

    static func run(_ data: [UInt8]) {
        guard let options = data.first else { return }
        let readSize = 1 + Int(options % 128)
        let stream = Array(data.dropFirst())
        let servers = Servers()
        let proxy = HTTPSwitchingProxy(config: config, scheduler: scheduler, virtual: virtual, connectTimeout: .seconds(5),
                                       idleTimeout: .seconds(60), logger: quiet, connector: servers.connector)
        let client = EmbeddedChannel(loop: servers.loop)
        do {
            if options & 128 != 0 { try client.pipeline.syncOperations.addHandler(ProxyProtocolReceiver()) }
            try proxy.configure(client)
            try client.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        } catch {
            fatalError("the fuzz target's pipeline does not build: \(error)")
        }
        var offset = 0
        while offset < stream.count, client.isActive {
            let end = min(stream.count, offset + readSize)
            _ = try? client.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
            answerRequests(servers)
        }
        if client.isActive { client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        answerRequests(servers)
        drain(client)
        _ = try? client.finish()
        for channel in servers.channels {
            drain(channel)
            _ = try? channel.finish()
        }
        servers.loop.run()
    }

    /// Each server with request bytes waiting reads them and answers one response.
    static func answerRequests(_ servers: Servers) {
        for channel in servers.channels where channel.isActive {
            guard drain(channel) > 0 else { continue }
            _ = try? channel.writeInbound(ByteBuffer(string: response))
        }
    }

    /// Reads everything written to `channel`; returns the number of bytes.
    @discardableResult
    static func drain(_ channel: EmbeddedChannel) -> Int {
        var count = 0
        while let data = try? channel.readOutbound(as: IOData.self) {
            if case let .byteBuffer(buffer) = data { count += buffer.readableBytes }
        }
        return count
    }
}
