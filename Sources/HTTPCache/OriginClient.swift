public import NIOCore
public import NIOHTTP1
import NIOPosix

/// A whole HTTP/1.1 response from an origin or a peer cache.
public struct OriginResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]
}

/// Why an origin fetch failed (the cache answers 502/504 or serves stale).
public struct OriginError: Error, CustomStringConvertible, Sendable {
    public var host: String
    public var port: Int
    public var reason: String
    public var description: String { "\(host):\(port): \(reason)" }
}

/// The cache's HTTP/1.1 client: one request per connection (`Connection: close`), the response collected
/// whole up to a byte cap, with connect and response timeouts. Used for origins, parents and siblings.
public final class OriginClient: Sendable {
    public let group: any EventLoopGroup
    public let connectTimeout: TimeAmount
    public let responseTimeout: TimeAmount
    public let maximumBodyBytes: Int

    public init(group: any EventLoopGroup, connectTimeout: TimeAmount = .seconds(5), responseTimeout: TimeAmount = .seconds(30),
                maximumBodyBytes: Int = 64 << 20) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Sends `head` (and `body`) to host:port and collects the answer.
    public func fetch(host: String, port: Int, head: HTTPRequestHead, body: ByteBuffer? = nil) async throws -> OriginResponse {
        let loop = group.next()
        let promise = loop.makePromise(of: OriginResponse.self)
        let maximum = maximumBodyBytes
        let failure: @Sendable (String) -> OriginError = { reason in OriginError(host: host, port: port, reason: reason) }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            OriginResponseCollector(promise: promise, maximumBodyBytes: maximum, failure: failure))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(failure("connect: \(error)"))
            throw failure("connect: \(error)")
        }
        let timeout = loop.scheduleTask(in: responseTimeout) {
            promise.fail(failure("no response within \(self.responseTimeout)"))
            channel.close(promise: nil)
        }
        var head = head
        head.version = .http1_1
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects one response on a client channel into a promise.
final class OriginResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<OriginResponse>
    let maximumBodyBytes: Int
    let failure: (String) -> OriginError
    var head: HTTPResponseHead?
    var body: [UInt8] = []

    init(promise: EventLoopPromise<OriginResponse>, maximumBodyBytes: Int, failure: @escaping (String) -> OriginError) {
        self.promise = promise
        self.maximumBodyBytes = maximumBodyBytes
        self.failure = failure
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(received):
            if received.status.code / 100 == 1 { return } // interim responses are not ours to keep
            head = received
        case var .body(buffer):
            guard body.count + buffer.readableBytes <= maximumBodyBytes else {
                promise.fail(failure("body over \(maximumBodyBytes) bytes"))
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if let head { promise.succeed(OriginResponse(head: head, body: body)) }
            else { promise.fail(failure("end without a response head")) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(failure("connection closed before the response ended"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(failure("\(error)"))
        context.close(promise: nil)
    }
}
