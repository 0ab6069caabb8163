import Logging
import NIOCore
import NIOHTTP1

/// Serves HTTP/1.1 requests on one connection for a responder: screens each head before its body, collects
/// the body under a cap (answering `100 Continue` when asked), calls the responder, writes its answer, and
/// keeps the connection alive while the client wants it and limits allow. Closes connections that are too
/// slow to send a head or a body, or that idle too long between requests. Quiescing (`ChannelShouldQuiesceEvent`)
/// is done by NIO's `HTTPServerPipelineHandler` in front of it: idle connections close at once, busy ones
/// after their answer, which then carries `Connection: close`.
///
/// Explicitly not `Sendable`: it lives on its channel's event loop.
final class HTTPConnectionHandler<Responder: HTTPResponder>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Where the connection is in its request/response cycle.
    enum Phase {
        /// Waiting for a request head; `idle` until the first byte of a kept-alive connection's next request.
        case awaitingHead(idle: Bool)
        /// Collecting the body of an accepted request.
        case readingBody(HTTPRequestHead, ByteBuffer, keepAlive: Bool)
        /// An answer went out before the body was read; the body is thrown away up to `maxDrainBytes`.
        case discardingBody(discarded: Int, closeAtEnd: Bool)
        /// The whole request is with the responder.
        case responding
        /// The last answer is being written or the channel is closed: nothing more is read.
        case closing
    }

    let responder: Responder
    let configuration: HTTPServerConfiguration
    let logger: Logger
    private(set) var phase = Phase.awaitingHead(idle: false)
    private var requestCount = 0
    private var timer: Scheduled<Void>?

    init(responder: Responder, configuration: HTTPServerConfiguration, logger: Logger) {
        self.responder = responder
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(configuration.headerReadTimeout, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(configuration.headerReadTimeout, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        phase = .closing
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is HTTPBytesReceived {
            // The first byte of a kept-alive connection's next request: now the head must come in time.
            if case .awaitingHead(idle: true) = phase {
                phase = .awaitingHead(idle: false)
                arm(configuration.headerReadTimeout, context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP connection error: \(error)", metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        // Parse errors (a head over `maxHeaderBytes` among them) were answered 400 by NIO's
        // HTTPServerProtocolErrorHandler in front of us; the connection cannot go on either way.
        close(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head): received(head, context: context)
        case let .body(buffer): received(buffer, context: context)
        case .end: receivedEnd(context: context)
        }
    }

    // MARK: Requests

    private func received(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .awaitingHead = phase else { return close(context) }
        disarm()
        requestCount += 1
        let keepAlive = head.isKeepAlive && requestCount < configuration.maxRequestsPerConnection
        let body = BodyAnnouncement(head)
        if let refusal = responder.screen(head) {
            return answerEarly(refusal, to: head, body: body, keepAlive: keepAlive, context: context)
        }
        if let declared = body.declaredLength, declared > configuration.maxBodyBytes {
            return answerEarly(tooLarge(), to: head, body: body, keepAlive: keepAlive, context: context)
        }
        if body.expectsContinue, body.isAnnounced {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        let capacity = min(body.declaredLength ?? 0, configuration.maxBodyBytes)
        phase = .readingBody(head, context.channel.allocator.buffer(capacity: capacity), keepAlive: keepAlive)
        if body.isAnnounced { arm(configuration.bodyReadTimeout, context: context) }
    }

    private func received(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        switch phase {
        case .readingBody(let head, var body, let keepAlive):
            if body.readableBytes + buffer.readableBytes > configuration.maxBodyBytes {
                phase = .closing
                _ = write(tooLarge(), for: head, keepAlive: false, context: context)
                phase = .discardingBody(discarded: 0, closeAtEnd: true)
                discard(buffer.readableBytes, context: context)
                return
            }
            phase = .closing  // drop our reference while appending, so the buffer is not copied
            var incoming = buffer
            body.writeBuffer(&incoming)
            phase = .readingBody(head, body, keepAlive: keepAlive)
        case .discardingBody:
            discard(buffer.readableBytes, context: context)
        case .awaitingHead, .responding, .closing:
            break
        }
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        switch phase {
        case let .readingBody(head, body, keepAlive):
            disarm()
            phase = .responding
            respond(to: HTTPServerRequest(head: head, body: body), keepAlive: keepAlive, context: context)
        case let .discardingBody(_, closeAtEnd):
            disarm()
            if closeAtEnd { return close(context) }
            awaitNextRequest(context: context)
        case .awaitingHead, .responding, .closing:
            break
        }
    }

    private func respond(to request: HTTPServerRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        let responder = self.responder
        let answer = context.eventLoop.makePromise(of: HTTPServerResponse.self)
        // Started on this thread: a responder that does not suspend answers without leaving the event loop;
        // one that does (an actor call, I/O) resumes on the concurrency pool and the answer hops back here.
        Task.immediate { answer.succeed(await responder.respond(to: request)) }
        answer.futureResult
            .assumeIsolated()
            .whenSuccess { response in
                guard case .responding = self.phase else { return }
                // The phase moves first: writing the end can hand us a pipelined next head at once.
                self.phase = keepAlive ? .awaitingHead(idle: true) : .closing
                let written = self.write(response, for: request.head, keepAlive: keepAlive, context: context)
                if !keepAlive {
                    written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                } else if case .awaitingHead(idle: true) = self.phase {
                    self.arm(self.configuration.idleTimeout, context: context)
                }
            }
    }

    /// Answers before the body is read. Without a body the connection stays as the client wants; with
    /// one it closes: at once when the client waits for `100 Continue` or announced more than we would
    /// drain, else once the body has been read and dropped.
    private func answerEarly(_ response: HTTPServerResponse, to head: HTTPRequestHead, body: BodyAnnouncement, keepAlive: Bool,
                             context: ChannelHandlerContext) {
        guard body.isAnnounced else {
            phase = .discardingBody(discarded: 0, closeAtEnd: !keepAlive)
            _ = write(response, for: head, keepAlive: keepAlive, context: context)
            return
        }
        if body.expectsContinue || (body.declaredLength ?? 0) > configuration.maxDrainBytes {
            phase = .closing
            let written = write(response, for: head, keepAlive: false, context: context)
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        phase = .discardingBody(discarded: 0, closeAtEnd: true)
        _ = write(response, for: head, keepAlive: false, context: context)
        arm(configuration.bodyReadTimeout, context: context)
    }

    private func discard(_ count: Int, context: ChannelHandlerContext) {
        guard case let .discardingBody(discarded, closeAtEnd) = phase else { return }
        let total = discarded + count
        if total > configuration.maxDrainBytes { return close(context) }
        phase = .discardingBody(discarded: total, closeAtEnd: closeAtEnd)
        if timer == nil { arm(configuration.bodyReadTimeout, context: context) }
    }

    private func awaitNextRequest(context: ChannelHandlerContext) {
        phase = .awaitingHead(idle: true)
        arm(configuration.idleTimeout, context: context)
    }

    private func tooLarge() -> HTTPServerResponse {
        responder.errorResponse(.payloadTooLarge, message: "request body larger than \(configuration.maxBodyBytes) bytes")
    }

    // MARK: Writing

    /// Writes a whole response; returns the future of its last part.
    private func write(_ response: HTTPServerResponse, for request: HTTPRequestHead, keepAlive: Bool,
                       context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var headers = response.headers
        let isHead = request.method == .HEAD
        if response.status.mayHaveBody {
            if !isHead || headers["Content-Length"].isEmpty {
                headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.readableBytes)")
            }
        } else {
            headers.remove(name: "Content-Length")
        }
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !isHead, response.status.mayHaveBody, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        return context.writeAndFlush(wrapOutboundOut(.end(nil)))
    }

    // MARK: Timers

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.timer = nil
            self.timedOut(context: context)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    private func timedOut(context: ChannelHandlerContext) {
        switch phase {
        case let .readingBody(head, _, _):
            logger.debug("HTTP body read timed out", metadata: ["uri": "\(head.uri)"])
            phase = .closing
            let written = write(responder.errorResponse(.requestTimeout, message: "request body not received in time"), for: head, keepAlive: false, context: context)
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .awaitingHead, .discardingBody:
            close(context)
        case .responding, .closing:
            break
        }
    }

    private func close(_ context: ChannelHandlerContext) {
        disarm()
        phase = .closing
        context.close(promise: nil)
    }
}
