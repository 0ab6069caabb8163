import NIOCore
import NIOHTTP1
import ShoalHTTP

/// Reads the answers of one upstream connection, one exchange at a time: the head hands the exchange over
/// (with a streamed body when `Content-Length` announces it, else once the body has arrived whole, under a
/// cap); the end tells the owner whether the connection may be reused. Lives on its channel's event loop.
final class OriginConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    /// The connection closed before an answer began: on a reused connection, the server closed it while idle.
    struct StaleConnection: Error, CustomStringConvertible {
        var description: String { "connection closed before a response began" }
    }

    /// One request's answer being read.
    struct Exchange {
        let promise: EventLoopPromise<OriginExchange>
        let maximumBodyBytes: Int
        let failure: (String) -> OriginError
        /// Called once at the end: true when the connection may carry another exchange.
        let ended: (Bool) -> Void
        var head: HTTPResponseHead?
        var stream: HTTPStreamedBody?
        var collected: ByteBuffer?

        init(promise: EventLoopPromise<OriginExchange>, maximumBodyBytes: Int, failure: @escaping (String) -> OriginError,
             ended: @escaping (Bool) -> Void) {
            self.promise = promise
            self.maximumBodyBytes = maximumBodyBytes
            self.failure = failure
            self.ended = ended
        }
    }

    private var exchange: Exchange?

    func begin(_ exchange: Exchange) {
        self.exchange = exchange
    }

    /// Fails the exchange under way (a timeout, a request that could not be written); the caller closes the
    /// channel. Before any answer, a connection that is no longer open fails as ``StaleConnection``.
    func abandon(_ error: OriginError, channel: any Channel) {
        guard let current = exchange else { return }
        exchange = nil
        let stale = current.head == nil && !channel.isActive
        current.promise.fail(stale ? StaleConnection() : error)
        current.stream?.fail(error)
        current.ended(false)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else { return }  // nothing asked: stray bytes are ignored until the close
        switch unwrapInboundIn(data) {
        case let .head(head):
            if head.status.code / 100 == 1 { return }  // interim responses are not ours to keep
            exchange!.head = head
            let length = head.headers.first(name: "Content-Length").flatMap { Int64($0) }
            let bodiless = head.status == .noContent || head.status == .notModified
            if let length, !bodiless {
                guard length <= Int64(exchange!.maximumBodyBytes) else {
                    return fail(exchange!.failure("body of \(length) bytes is over \(exchange!.maximumBodyBytes)"), context: context)
                }
                let stream = HTTPStreamedBody(length: length)
                exchange!.stream = stream
                exchange!.promise.succeed(OriginExchange(head: head, body: stream))
            } else {
                exchange!.collected = context.channel.allocator.buffer(capacity: 0)
            }
        case var .body(buffer):
            if let stream = exchange!.stream {
                stream.append(buffer)
            } else if exchange!.collected != nil {
                guard exchange!.collected!.readableBytes + buffer.readableBytes <= exchange!.maximumBodyBytes else {
                    return fail(exchange!.failure("body over \(exchange!.maximumBodyBytes) bytes"), context: context)
                }
                exchange!.collected!.writeBuffer(&buffer)
            }
        case .end:
            guard let current = exchange, let head = current.head else {
                return fail(exchange!.failure("end without a response head"), context: context)
            }
            exchange = nil
            // The connection goes back to the pool before anyone hears of the end, so a client's next request
            // finds it there.
            if let stream = current.stream {
                current.ended(head.isKeepAlive && stream.received == stream.length)
                stream.finish()
            } else {
                let body = current.collected ?? ByteBuffer()
                let stream = HTTPStreamedBody(length: Int64(body.readableBytes))
                stream.append(body)
                stream.finish()
                current.ended(head.isKeepAlive)
                current.promise.succeed(OriginExchange(head: head, body: stream))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let current = exchange {
            exchange = nil
            if current.head == nil {
                current.promise.fail(StaleConnection())
            } else {
                let error = current.failure("connection closed before the response ended")
                current.promise.fail(error)
                current.stream?.fail(error)
            }
            current.ended(false)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let current = exchange { fail(current.failure("\(error)"), context: context) } else { context.close(promise: nil) }
    }

    private func fail(_ error: OriginError, context: ChannelHandlerContext) {
        if let current = exchange {
            exchange = nil
            current.promise.fail(error)
            current.stream?.fail(error)
            current.ended(false)
        }
        context.close(promise: nil)
    }
}
