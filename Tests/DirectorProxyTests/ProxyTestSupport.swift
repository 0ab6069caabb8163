import ShoalTestFixtures
import Director
import DirectorProxy
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalCore

// Fixtures for the L7/PROXY tests: real nginx and haproxy processes (ShoalTestFixtures), a scheduler over a real DirectorTable,
// a loopback proxy listener, and real clients (curl, python3). Names start with `l7` to stay clear of
// other test files of this target. Addresses are 127.77.X.Y, X picked per test.

struct L7Error: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func l7Endpoint(_ text: String) -> Endpoint {
    guard let endpoint = Endpoint(text) else { preconditionFailure("bad endpoint literal \(text)") }
    return endpoint
}

/// The path of a tool, or an error naming the Debian package that provides it.
func l7Tool(_ name: String, package: String) throws -> String {
    try requiredTool(name, package: package)
}

/// The Python programs of this target (`Peers/*.py`).
let peers = PythonPeers(Bundle.module)

/// Runs a program to its end (blocking this thread); returns its standard output (an error with both outputs on failure).
@discardableResult
func l7Run(_ path: String, _ arguments: [String], stdin: String? = nil) throws -> String {
    try TestProcess.runBlocking(path, arguments, stdin: stdin).succeeded().stdout
}

func l7TempDirectory(_ tag: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-l7-\(tag)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// nginx (Debian nginx-light) as a single foreground process serving `servers` blocks, up once every endpoint listens.
func l7Nginx(servers: String, listening: [Endpoint]) async throws -> NginxFixture {
    try await NginxFixture(servers: servers, listening: listening.map { ("\($0.address)", Int($0.port)) })
}

/// A `server` block answering `backend-NAME URI xff=… fwd=…` on `endpoint`.
func l7BackendServer(_ name: String, _ endpoint: Endpoint) -> String {
    """
    server {
        listen \(endpoint);
        location / { return 200 "backend-\(name) $request_uri xff=$http_x_forwarded_for fwd=$http_forwarded proto=$http_x_forwarded_proto\\n"; }
    }
    """
}

/// A ConnectionScheduler over a real DirectorTable behind a lock, recording what the proxy asked of it.
///
/// The table keys connections by (protocol, client, virtual); an L7 proxy opens several server
/// connections for one client connection, so each schedule gets a fresh client port here (the
/// address, which schedulers and persistence look at, is the client's).
final class L7TableScheduler: ConnectionScheduler, @unchecked Sendable {
    private let lock = NIOLock()
    private var table = DirectorTable()
    private var nextPort: UInt16 = 1024
    private let start = Date()
    private(set) var leases: [ProxyLease] = []
    private(set) var abandoned: [ProxyLease] = []
    private(set) var closedLeases: [ProxyLease] = []
    private(set) var requests: [ConnectionRequest] = []
    private(set) var inBytes: UInt64 = 0
    private(set) var outBytes: UInt64 = 0

    func apply(_ command: IPVSCommand) throws {
        try lock.withLock { try table.apply(command) }
    }

    private var now: DirectorTime { DirectorTime(microseconds: Int64(Date().timeIntervalSince(start) * 1_000_000)) }

    func snapshot<T>(_ body: (L7TableScheduler) -> T) -> T { lock.withLock { body(self) } }

    func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease? {
        lock.withLock {
            requests.append(request)
            // The table cannot exclude servers: a refused one is closed and the scheduler asked again.
            for _ in 0..<8 {
                var r = request
                nextPort = nextPort == .max ? 1024 : nextPort + 1
                r.client.port = nextPort
                guard case let .forwarded(connection, destination, _) = table.connect(r, at: now) else { return nil }
                if excluding.contains(destination) {
                    if let connection { table.close(connection, at: now) }
                    continue
                }
                let lease = ProxyLease(connection: connection, destination: destination)
                leases.append(lease)
                return lease
            }
            return nil
        }
    }

    func abandon(_ lease: ProxyLease) {
        lock.withLock {
            abandoned.append(lease)
            if let id = lease.connection { table.close(id, at: now) }
        }
    }

    func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64) {
        lock.withLock {
            self.inBytes += inBytes
            self.outBytes += outBytes
            if let id = lease.connection { table.recordTraffic(id, inBytes: inBytes, outBytes: outBytes) }
        }
    }

    func closed(_ lease: ProxyLease) {
        lock.withLock {
            closedLeases.append(lease)
            if let id = lease.connection { table.close(id, at: now) }
        }
    }

    func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool {
        lock.withLock {
            table.service(service)?.servers.contains { $0.endpoint == server && $0.isUsable && $0.isAvailable } ?? false
        }
    }

    func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease? {
        lock.withLock {
            requests.append(request)
            guard table.service(service)?.servers.contains(where: { $0.endpoint == server && $0.isUsable }) ?? false else { return nil }
            // The table has no way to bind a connection to a named server: the lease carries no entry.
            let lease = ProxyLease(connection: nil, destination: server)
            leases.append(lease)
            return lease
        }
    }
}

/// `-A` of a round-robin service and `-a` of its servers (masquerading, weight 1).
func l7AddService(_ scheduler: L7TableScheduler, _ key: VirtualServiceKey, servers: [Endpoint]) throws {
    try scheduler.apply(.addService(VirtualServiceConfig(key: key, scheduler: .rr)))
    for server in servers {
        try scheduler.apply(.addServer(key, RealServerConfig(endpoint: server, forwarding: .masquerade, weight: 1)))
    }
}

/// An HTTPSwitchingProxy listening on `address` (port 0: the kernel picks), one event loop thread.
final class L7ProxyListener: @unchecked Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: any Channel
    let endpoint: Endpoint

    init(address: String, receiveProxyProtocol: Bool = false,
         make: (Endpoint) -> HTTPSwitchingProxy) async throws {
        // Bind first to learn the port, then build the proxy for that virtual endpoint.
        let box = NIOLockedValueBox<HTTPSwitchingProxy?>(nil)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard let proxy = box.withLockedValue({ $0 }) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    if receiveProxyProtocol {
                        try channel.pipeline.syncOperations.addHandler(ProxyProtocolReceiver())
                    }
                    try proxy.configure(channel)
                }
            }
        channel = try await bootstrap.bind(host: address, port: 0).get()
        endpoint = Endpoint(IPAddress(address)!, UInt16(channel.localAddress!.port!))
        let proxy = make(endpoint)
        box.withLockedValue { $0 = proxy }
    }

    func stop() async {
        try? await channel.close().get()
        try? await group.shutdownGracefully()
    }
}

/// curl's output (`-s`, extra arguments first).
func l7Curl(_ arguments: [String]) throws -> String {
    let curl = try l7Tool("curl", package: "curl")
    return try l7Run(curl, ["-s", "--max-time", "60"] + arguments)
}

/// Runs `Peers/script arguments` with python3 to completion; its stdout (an error with both outputs on failure).
func l7Python(_ script: String, _ arguments: [String]) async throws -> String {
    try await peers.run(script, arguments).succeeded().stdout
}

/// Waits (up to a generous cap, not a timing assertion) until `condition` holds.
func l7Eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<600 {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return condition()
}

/// Sends `bytes` to `endpoint` over a plain TCP connection and returns all it answers until it closes.
func l7RawExchange(_ endpoint: Endpoint, send bytes: ByteBuffer, halfClose: Bool = false) async throws -> String {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let collected = NIOLockedValueBox(ByteBuffer())
    let done = group.next().makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: group)
        .channelOption(.allowRemoteHalfClosure, value: true)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(L7Collector(collected: collected, done: done))
            }
        }
        .connect(host: "\(endpoint.address)", port: Int(endpoint.port)).get()
    // The server may answer and close before it has read everything (a 400): a failed write is fine.
    try? await channel.writeAndFlush(bytes).get()
    if halfClose { try? await channel.close(mode: .output).get() }
    try await done.futureResult.get()
    try? await group.shutdownGracefully()
    return String(buffer: collected.withLockedValue { $0 })
}

final class L7Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let collected: NIOLockedValueBox<ByteBuffer>
    let done: EventLoopPromise<Void>

    init(collected: NIOLockedValueBox<ByteBuffer>, done: EventLoopPromise<Void>) {
        self.collected = collected
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        _ = collected.withLockedValue { $0.writeBuffer(&buffer) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) { done.succeed(()) }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
