public import NIOCore
public import NIOHTTP1
import NIOPosix
public import ShoalHTTP

/// A whole HTTP/1.1 response from an origin or a peer cache.
public struct OriginResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]
}

/// An upstream answer whose head has arrived and whose body may still be arriving (`body.length` is its
/// `Content-Length`; a body of unannounced length has arrived whole before the exchange is handed over).
public struct OriginExchange: Sendable {
    public var head: HTTPResponseHead
    public var body: HTTPStreamedBody
}

/// Why an origin fetch failed (the cache answers 502/504 or serves stale).
public struct OriginError: Error, CustomStringConvertible, Sendable {
    public var host: String
    public var port: Int
    public var reason: String
    public var description: String { "\(host):\(port): \(reason)" }
}

/// The cache's HTTP/1.1 client for origins, parents and siblings: kept-alive connections reused per
/// host:port (``OriginConnectionPool``), the answer handed over as soon as its head arrives with the body
/// streaming in (``open(host:port:head:body:)``) or collected whole (``fetch(host:port:head:body:)``), a byte
/// cap, and connect and whole-exchange timeouts.
public final class OriginClient: Sendable {
    public let group: any EventLoopGroup
    public let connectTimeout: TimeAmount
    public let responseTimeout: TimeAmount
    public let maximumBodyBytes: Int
    let pool: OriginConnectionPool

    public init(group: any EventLoopGroup, connectTimeout: TimeAmount = .seconds(5), responseTimeout: TimeAmount = .seconds(30),
                maximumBodyBytes: Int = 64 << 20, idleConnectionsPerServer: Int = 64, idleTimeout: TimeAmount = .seconds(15)) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maximumBodyBytes = maximumBodyBytes
        pool = OriginConnectionPool(idlePerServer: idleConnectionsPerServer, idleTimeout: idleTimeout)
    }

    /// Idle kept-alive connections held for reuse now (all servers).
    public var idleConnections: Int { pool.idleCount }

    /// Connections opened since start (reused ones are not counted again).
    public var connectionsOpened: Int { pool.openedCount }

    /// Sends `head` (and `body`) to host:port and collects the whole answer.
    public func fetch(host: String, port: Int, head: HTTPRequestHead, body: ByteBuffer? = nil) async throws -> OriginResponse {
        let exchange = try await open(host: host, port: port, head: head, body: body)
        var collected = try await exchange.body.collected()
        return OriginResponse(head: exchange.head, body: collected.readBytes(length: collected.readableBytes) ?? [])
    }

    /// Sends `head` (and `body`) to host:port on a kept-alive connection (a fresh one when none is idle) and
    /// returns once the response head is in. A reused connection the server closed meanwhile is retried once
    /// on a fresh connection for GET and HEAD.
    public func open(host: String, port: Int, head: HTTPRequestHead, body: ByteBuffer? = nil) async throws -> OriginExchange {
        let failure: @Sendable (String) -> OriginError = { reason in OriginError(host: host, port: port, reason: reason) }
        var head = head
        head.version = .http1_1
        head.headers.remove(name: "Connection")
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        let idempotent = head.method == .GET || head.method == .HEAD
        if let reused = pool.acquire(host: host, port: port) {
            do {
                return try await run(head: head, body: body, on: reused, failure: failure)
            } catch let error as OriginConnectionHandler.StaleConnection where idempotent {
                _ = error  // the server closed it while idle: a fresh connection below
            } catch let error as OriginConnectionHandler.StaleConnection {
                throw failure(error.description)
            }
        }
        let connection = try await connect(host: host, port: port, failure: failure)
        do {
            return try await run(head: head, body: body, on: connection, failure: failure)
        } catch let error as OriginConnectionHandler.StaleConnection {
            throw failure(error.description)
        }
    }

    private func connect(host: String, port: Int, failure: @escaping @Sendable (String) -> OriginError) async throws -> PooledConnection {
        let pool = self.pool
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(OriginConnectionHandler())
                    }
                }
                .connect(host: host, port: port).get()
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: OriginConnectionHandler.self), eventLoop: channel.eventLoop)
            }.get()
            let connection = PooledConnection(channel: channel, handler: handler, host: host, port: port)
            pool.opened(connection)
            return connection
        } catch {
            throw failure("connect: \(error)")
        }
    }

    /// One exchange on `connection`: the request written, the answer's head awaited; the connection goes back to
    /// the pool when the answer has ended and both sides keep it alive.
    private func run(head: HTTPRequestHead, body: ByteBuffer?, on connection: PooledConnection,
                     failure: @escaping @Sendable (String) -> OriginError) async throws -> OriginExchange {
        let loop = connection.channel.eventLoop
        let promise = loop.makePromise(of: OriginExchange.self)
        let maximum = maximumBodyBytes
        let timeout = responseTimeout
        let pool = self.pool
        let requestKeepsAlive = head.isKeepAlive
        loop.execute {
            let handler = connection.handler.value
            let channel = connection.channel
            guard channel.isActive else { return promise.fail(OriginConnectionHandler.StaleConnection()) }
            let timer = loop.assumeIsolated().scheduleTask(in: timeout) {
                handler.abandon(failure("no whole response within \(timeout)"), channel: channel)
                channel.close(promise: nil)
            }
            handler.begin(OriginConnectionHandler.Exchange(promise: promise, maximumBodyBytes: maximum, failure: failure) { reusable in
                timer.cancel()
                if reusable, requestKeepsAlive { pool.release(connection) } else { channel.close(promise: nil) }
            })
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).assumeIsolated().whenFailure { error in
                handler.abandon(failure("request not written: \(error)"), channel: channel)
                channel.close(promise: nil)
            }
        }
        return try await promise.futureResult.get()
    }
}

/// One connection to an upstream server, reusable after its exchange ends.
final class PooledConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<OriginConnectionHandler>
    let host: String
    let port: Int

    init(channel: any Channel, handler: NIOLoopBound<OriginConnectionHandler>, host: String, port: Int) {
        self.channel = channel
        self.handler = handler
        self.host = host
        self.port = port
    }
}
