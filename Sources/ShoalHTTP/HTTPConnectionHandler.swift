import Logging
import NIOCore
import NIOHTTP1
import ShoalServer

/// Serves HTTP/1.1 requests on one connection for a responder: screens each head before its body, collects
/// the body under a cap (answering `100 Continue` when asked), calls the responder, writes its answer, and
/// keeps the connection alive while the client wants it and limits allow. Closes connections that are too
/// slow to send a head or a body, or that idle too long between requests. Quiescing (`ChannelShouldQuiesceEvent`)
/// is done by NIO's `HTTPServerPipelineHandler` in front of it: idle connections close at once, busy ones
/// after their answer, which then carries `Connection: close`. A request NIO's parser rejects is answered here
/// (414, 431, 501 or 400, as ``RequestLineScanner/status(for:)`` tells) unless a response is part-way out, and
/// the connection closes.
///
/// Not generic over the responder: a generic handler used from another module runs unspecialized, looking up
/// its type's metadata at run time on every request; an existential responder costs one witness call instead.
///
/// Explicitly not `Sendable`: it lives on its channel's event loop.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, HTTPRequestBytesListener {
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

    let responder: any HTTPResponder
    let configuration: HTTPServerConfiguration
    let logger: Logger
    private(set) var phase = Phase.awaitingHead(idle: false)
    private var requestCount = 0
    /// The head, body and idle timeouts (one at a time), on the lazy ``IdleTimer``: a kept-alive connection
    /// switching between them on every request schedules no task for it.
    private var timer: IdleTimer?
    /// Responses written but not yet taken by the client; while any is, the send timer runs.
    private var responsesInFlight = 0
    private var sendTimer: Scheduled<Void>?
    private var remoteAddress: SocketAddress?
    /// A response's head is written and its end is not yet (only a file streamed in chunks stays so across events).
    private var responseOpen = false
    /// The observer in front of the decoder: it tells us of request bytes and keeps the request-line scanner.
    private let requestBytes: HTTPBytesReceivedObserver
    /// This handler's context, for the observer's direct calls (set while the handler is in a pipeline).
    private var context: ChannelHandlerContext?

    init(responder: any HTTPResponder, configuration: HTTPServerConfiguration, logger: Logger, requestBytes: HTTPBytesReceivedObserver) {
        self.responder = responder
        self.configuration = configuration
        self.logger = logger
        self.requestBytes = requestBytes
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        requestBytes.listener = self
        if context.channel.isActive { arm(configuration.headerReadTimeout, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(configuration.headerReadTimeout, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        disarmSend()
        phase = .closing
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestBytes.listener = nil
        self.context = nil
        timer?.cancel()
        timer = nil  // its closure holds the context and this handler
        disarmSend()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client took some of what was queued: it gets the send timeout afresh.
        if context.channel.isWritable, responsesInFlight > 0 { armSend(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// Called by the observer in front of the decoder for every read, before the decoder sees the bytes.
    func requestBytesArrived() {
        // The first byte of a kept-alive connection's next request: now the head must come in time.
        guard case .awaitingHead(idle: true) = phase, let context else { return }
        phase = .awaitingHead(idle: false)
        // While a response is still going out, the send timer watches the connection.
        if responsesInFlight == 0 { arm(configuration.headerReadTimeout, context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP connection error: \(error)", metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        // NIO's pipelining handler holds a parse error back until the answer before it has ended, so unless a
        // file is still streaming, nothing is part-way out and the client can be told why. The decoder closes
        // the channel right after this: write now, nothing delayed.
        if let parserError = error as? HTTPParserError, !responseOpen {
            let headers = HTTPHeaders([("Connection", "close"), ("Content-Length", "0")])
            let status = requestBytes.requestLines.status(for: parserError)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
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
            if remoteAddress == nil { remoteAddress = context.channel.remoteAddress }
            respond(to: HTTPServerRequest(head: head, body: body, remoteAddress: remoteAddress, eventLoop: context.eventLoop), keepAlive: keepAlive,
                    context: context)
        case let .discardingBody(_, closeAtEnd):
            disarm()
            if closeAtEnd { return close(context) }
            awaitNextRequest(context: context)
        case .awaitingHead, .responding, .closing:
            break
        }
    }

    private func respond(to request: HTTPServerRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        if let response = responder.immediateResponse(to: request) {
            return deliver(response, for: request.head, keepAlive: keepAlive, context: context)
        }
        let responder = self.responder
        let answer = context.eventLoop.makePromise(of: HTTPServerResponse.self)
        // Started on this thread: a responder that does not suspend answers without leaving the event loop;
        // one that does (an actor call, I/O) resumes on the concurrency pool and the answer hops back here.
        Task.immediate { answer.succeed(await responder.respond(to: request)) }
        answer.futureResult
            .assumeIsolated()
            .whenSuccess { response in
                self.deliver(response, for: request.head, keepAlive: keepAlive, context: context)
            }
    }

    private func deliver(_ response: consuming HTTPServerResponse, for head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        if let tunnel = response.tunnel {
            if case .responding = phase, response.status.code / 100 == 2, tunnel.channel.eventLoop.inEventLoop {
                return HTTPTunnelSplice.open(tunnel, status: response.status, headers: response.headers, version: head.version,
                                             handler: self, context: context)
            }
            tunnel.channel.close(promise: nil)
            response.tunnel = nil
        }
        guard case .responding = phase else {
            response.file?.close()
            return
        }
        // The phase moves first: writing the end can hand us a pipelined next head at once.
        phase = keepAlive ? .awaitingHead(idle: true) : .closing
        let written = write(response, for: head, keepAlive: keepAlive, context: context)
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else if case .awaitingHead(idle: true) = phase, responsesInFlight == 0 {
            arm(configuration.idleTimeout, context: context)
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
        if timer?.isArmed != true { arm(configuration.bodyReadTimeout, context: context) }
    }

    private func awaitNextRequest(context: ChannelHandlerContext) {
        phase = .awaitingHead(idle: true)
        arm(configuration.idleTimeout, context: context)
    }

    private func tooLarge() -> HTTPServerResponse {
        responder.errorResponse(.payloadTooLarge, message: "request body larger than \(configuration.maxBodyBytes) bytes")
    }

    // MARK: Writing

    /// Writes a whole response; returns the future of its last part. A file body is written as file regions
    /// or streamed in chunks; its handle is closed when it is done (or at once when no body is sent).
    private func write(_ response: consuming HTTPServerResponse, for request: HTTPRequestHead, keepAlive: Bool,
                       context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        let (head, sendsBody) = response.takeHead(for: request, keepAlive: keepAlive)
        responsesInFlight += 1
        responseOpen = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let written: EventLoopFuture<Void>
        if let stream = response.stream, sendsBody, stream.length > 0 {
            response.file?.close()
            let promise = context.eventLoop.makePromise(of: Void.self)
            writeStream(stream, context: context, promise: promise)
            written = promise.futureResult
        } else if let file = response.file {
            if !sendsBody || file.length == 0 {
                file.close()
                responseOpen = false
                written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            } else if configuration.sendsFileRegions {
                written = writeRegions(file, context: context)
            } else {
                let promise = context.eventLoop.makePromise(of: Void.self)
                streamChunks(file, part: 0, offset: 0, context: context, promise: promise)
                written = promise.futureResult
            }
        } else {
            if sendsBody, response.body.readableBytes > 0 {
                context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
            }
            responseOpen = false
            written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        }
        written.assumeIsolated().whenComplete { result in
            self.responsesInFlight -= 1
            guard self.responsesInFlight == 0 else { return }
            self.disarmSend()
            if case .failure = result { return self.close(context) }
            switch self.phase {
            case .awaitingHead(idle: true): self.arm(self.configuration.idleTimeout, context: context)
            case .awaitingHead(idle: false): self.arm(self.configuration.headerReadTimeout, context: context)
            default: break
            }
        }
        // A response the socket took at once has completed by now (NIO completes writes during the flush):
        // only one still going out needs the send timer.
        if responsesInFlight > 0, sendTimer == nil { armSend(context: context) }
        return written
    }

    /// A body arriving over time: each chunk written and flushed as it comes (the send timer restarting), then
    /// the end; a failed body closes the connection, the client seeing fewer bytes than announced.
    private func writeStream(_ stream: HTTPStreamedBody, context: ChannelHandlerContext, promise: EventLoopPromise<Void>) {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        stream.subscribe(on: context.eventLoop) { event in
            let (handler, context) = loopBound.value
            switch event {
            case let .chunk(buffer):
                context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                if handler.responsesInFlight > 0 { handler.armSend(context: context) }
            case .end:
                handler.responseOpen = false
                context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: promise)
            case let .failed(error):
                handler.logger.debug("HTTP streamed body failed: \(error)")
                promise.fail(error)
                handler.close(context)
            }
        }
    }

    /// Plain TCP: every slice as a `FileRegion` (sendfile), then the end; the file closes when the end is written.
    private func writeRegions(_ file: HTTPFileBody, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        for part in file.parts {
            switch part {
            case let .bytes(buffer):
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            case let .file(offset, count):
                let region = FileRegion(fileHandle: file.handle, readerIndex: Int(offset), endIndex: Int(offset + count))
                context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
            }
        }
        responseOpen = false
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        written.whenComplete { _ in file.close() }
        return written
    }

    /// The largest piece of a file read at once when streaming (TLS).
    static var streamChunkSize: Int64 { 64 * 1024 }

    /// TLS: reads the file slices in chunks on the file thread pool, writing each and waiting for it to be
    /// written before reading the next; completes `promise` when the end is written (or with the first error).
    private func streamChunks(_ file: HTTPFileBody, part: Int, offset: Int64, context: ChannelHandlerContext,
                              promise: EventLoopPromise<Void>) {
        guard part < file.parts.count else {
            file.close()
            responseOpen = false
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
            return
        }
        switch file.parts[part] {
        case let .bytes(buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            streamChunks(file, part: part + 1, offset: 0, context: context, promise: promise)
        case let .file(start, count):
            guard offset < count else { return streamChunks(file, part: part + 1, offset: 0, context: context, promise: promise) }
            let length = min(Self.streamChunkSize, count - offset)
            file.fileIO.read(fileHandle: file.handle, fromOffset: start + offset, byteCount: Int(length),
                             allocator: context.channel.allocator, eventLoop: context.eventLoop)
                .assumeIsolated()
                .whenComplete { result in
                    let fail = { (error: any Error) in
                        file.close()
                        promise.fail(error)
                    }
                    guard case let .success(chunk) = result else {
                        if case let .failure(error) = result { fail(error) }
                        return
                    }
                    guard chunk.readableBytes == Int(length) else {
                        return fail(HTTPFileBodyError.truncated(expected: length, read: chunk.readableBytes))
                    }
                    context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(chunk)))).assumeIsolated().whenComplete { written in
                        switch written {
                        case .success:
                            self.armSend(context: context)
                            self.streamChunks(file, part: part, offset: offset + length, context: context, promise: promise)
                        case let .failure(error):
                            fail(error)
                        }
                    }
                }
        }
    }

    // MARK: Timers

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        if let timer { return timer.arm(timeout: timeout) }
        let timer = IdleTimer(eventLoop: context.eventLoop) { self.timedOut(context: context) }
        self.timer = timer
        timer.arm(timeout: timeout)
    }

    private func disarm() {
        timer?.pause()
    }

    private func armSend(context: ChannelHandlerContext) {
        sendTimer?.cancel()
        sendTimer = context.eventLoop.assumeIsolated().scheduleTask(in: configuration.sendTimeout) {
            self.sendTimer = nil
            self.logger.debug("HTTP response not taken by the client in time")
            self.close(context)
        }
    }

    private func disarmSend() {
        sendTimer?.cancel()
        sendTimer = nil
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

    /// Stops every timer and reads nothing more as HTTP: the connection is becoming a tunnel.
    func handOver() {
        phase = .closing
        timer?.cancel()
        disarmSend()
    }

    private func close(_ context: ChannelHandlerContext) {
        disarm()
        phase = .closing
        context.close(promise: nil)
    }
}
