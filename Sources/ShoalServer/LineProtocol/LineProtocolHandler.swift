#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import NIOCore
import NIOSSL
import ShoalCore

/// The channel handler of every line protocol: raw bytes in, the pure ``LineSession`` decides, text out.
///
/// It owns the ``CRLFLineDecoder`` so that counted chunks (SMTP BDAT, IMAP literals) and STARTTLS switch the
/// input mode exactly at the right byte; holds pipelined input while the session waits for its work, and stops
/// reading (backpressure) once it holds more than a little or the client does not read what it was sent; drops
/// input that arrived after a STARTTLS command; enforces the command and data idle timeouts with one timer; and
/// on a server shutdown (`ChannelShouldQuiesceEvent`) lets the session finish what is under way and end at the
/// next command boundary.
public final class LineProtocolHandler<Session: LineSession>: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Runs a session's work off the event loop and returns the input to feed back.
    public typealias Performer = @Sendable (Session.Work) async -> Session.Input
    /// Answers work from memory, on the event loop, when it can (nil: it cannot); it must never block.
    public typealias ReadyAnswer = (Session.Work) -> Session.Input?

    private var session: Session
    private var decoder: CRLFLineDecoder
    private var buffer: ByteBuffer?
    /// Changes whenever buffered input is dropped (STARTTLS), so a decoding loop knows not to go on with it.
    private var inputGeneration = 0
    private let perform: Performer
    /// Where the work's tasks run (nil: the global concurrent executor).
    private let executor: (any TaskExecutor)?
    private let readyAnswer: ReadyAnswer?
    private let tls: TLSContextSource?
    private let configuration: LineProtocolConfiguration
    private let logger: Logger
    private var unflushed = false
    private var readPaused = false
    private var quiescing = false
    private var timer: IdleTimer?
    /// Work held until the client has read enough of what it was sent (a long FETCH goes out in pieces).
    private var heldWork: Session.Work?
    /// An answer given from memory by `readyAnswer`, fed by the `run` that asked for it once its actions are done.
    private var readyInput: Session.Input?

    /// - Parameters:
    ///   - tls: the context STARTTLS upgrades with (nil: the session should not offer it).
    ///   - executor: the task executor `perform` prefers (one whose threads may block, so the work's blocking
    ///     calls run in place); nil for the global concurrent executor.
    ///   - readyAnswer: answers work that needs no I/O (something read ahead) without leaving the event loop.
    ///   - perform: runs the session's work off the event loop.
    public init(session: Session, configuration: LineProtocolConfiguration, tls: TLSContextSource?, logger: Logger,
                executor: (any TaskExecutor)? = nil, readyAnswer: ReadyAnswer? = nil, perform: @escaping Performer) {
        self.executor = executor
        self.readyAnswer = readyAnswer
        self.session = session
        self.decoder = CRLFLineDecoder(maximumLineLength: configuration.maximumLineLength)
        self.configuration = configuration
        self.tls = tls
        self.logger = logger
        self.perform = perform
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.writeBufferWaterMark, value: configuration.outputWaterMark).whenFailure { _ in }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = IdleTimer(eventLoop: context.eventLoop) {
            let (handler, context) = bound.value
            handler.feed(Session.input(.timeout), context: context)
        }
        run(session.start(), context: context)
        flushIfNeeded(context: context)
        armTimer(context: context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { channelActive(context: context) }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard var pending = buffer.take(), pending.readableBytes > 0 else {
            buffer = incoming
            process(context: context)
            return
        }
        // A read almost always ends inside a line. Rather than copy the whole next read behind that piece (every
        // byte of a message copied once more), move over only the bytes that complete the line, decode it, and
        // go on decoding in the read's own buffer.
        if let completing = bytesCompletingLine(pending, in: incoming) {
            pending.writeImmutableBuffer(incoming.readSlice(length: completing)!)
            buffer = pending
            guard decodeAvailableInput(context: context) else {
                // That line was STARTTLS: what the client sent after it in plaintext is dropped (RFC 3207).
                if incoming.readableBytes > 0 {
                    logger.notice("discarding input pipelined after STARTTLS", metadata: ["bytes": "\(incoming.readableBytes)"])
                }
                process(context: context)
                return
            }
            if var rest = buffer.take(), rest.readableBytes > 0 {
                rest.writeBuffer(&incoming)  // the session did not take the line yet (it waits for an answer)
                buffer = rest
            } else {
                buffer = incoming
            }
        } else {
            pending.writeBuffer(&incoming)
            buffer = pending
        }
        process(context: context)
    }

    /// How many bytes at the front of `incoming` end the partial line in `pending` with its CR LF; nil when the
    /// input is not in line mode, the decoder drops an over-long line, or `incoming` holds no CR LF.
    private func bytesCompletingLine(_ pending: ByteBuffer, in incoming: ByteBuffer) -> Int? {
        switch session.inputMode {
        case .line, .messageLines: break
        case .chunk: return nil
        }
        guard !decoder.isDiscarding, incoming.readableBytes > 0 else { return nil }
        let pendingEndsWithCR = pending.getInteger(at: pending.writerIndex - 1, as: UInt8.self) == 0x0D
        return incoming.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var offset = 0
            while offset < bytes.count, let found = memchr(base + offset, 0x0A, bytes.count - offset) {
                let index = base.distance(to: UnsafeRawPointer(found))
                if index == 0 ? pendingEndsWithCR : bytes[index - 1] == 0x0D { return index + 1 }
                offset = index + 1
            }
            return nil
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // The timer's callback holds this handler and its context: dropping it breaks that cycle, so the
        // connection's session, buffers and channel are freed with the connection.
        timer?.cancel()
        timer = nil
        heldWork = nil
        _ = session.receive(Session.input(.eof))
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            shutDownIfIdle(context: context)
            flushIfNeeded(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let work = heldWork.take() {
            answer(work, context: context)
            if let input = readyInput.take() { feed(input, context: context) }
        } else if context.channel.isWritable {
            process(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Feeds every complete line or chunk to the session, until it waits for an answer or input runs out.
    private func process(context: ChannelHandlerContext) {
        decodeAvailableInput(context: context)
        if let remaining = buffer {
            if remaining.readableBytes == 0 {
                buffer = nil
            } else if remaining.readerIndex > 0 {
                // Keep only the unread rest, in a buffer of its own: the read's large buffer can go.
                var rest = context.channel.allocator.buffer(capacity: remaining.readableBytes + 1024)
                rest.writeImmutableBuffer(remaining)
                buffer = rest
            }
        }
        shutDownIfIdle(context: context)
        updateReading(context: context)
        flushIfNeeded(context: context)
        armTimer(context: context)
    }

    /// The decoding loop of `process`. The input buffer is moved out of `buffer` while lines are cut from it
    /// (no reference counting per line) and put back before any action runs. Returns false when an action
    /// (STARTTLS) dropped the input: nothing read before the TLS handshake may be used after it.
    @discardableResult
    private func decodeAvailableInput(context: ChannelHandlerContext) -> Bool {
        guard var input = buffer.take() else { return true }
        // Output the client does not read stops the next command too (pipelined RETRs, FETCHes).
        decoding: while !session.isWaiting && !session.isClosed && context.channel.isWritable && input.readableBytes > 0 {
            let event: LineEvent
            switch session.inputMode {
            case let .chunk(remaining):
                decoder.pendingChunk = remaining
                guard let item = decoder.decode(buffer: &input) else { break decoding }
                event = LineEvent(item)
            case .messageLines where !decoder.isDiscarding:
                decoder.pendingChunk = 0
                if let span = MessageLineSpan.take(from: &input) {
                    decoder.bufferWasConsumed()
                    event = .lines(span)
                } else {
                    // The dot line, an over-long line, or no complete line yet: the decoder decides.
                    guard let item = decoder.decode(buffer: &input) else { break decoding }
                    event = LineEvent(item)
                }
            case .line, .messageLines:
                decoder.pendingChunk = 0
                guard let item = decoder.decode(buffer: &input) else { break decoding }
                event = LineEvent(item)
            }
            let actions = session.receive(Session.input(event))
            if actions.isEmpty { continue }
            buffer = input
            let generation = inputGeneration
            run(actions, context: context)
            guard inputGeneration == generation else { return false }  // dropped (STARTTLS)
            input = buffer.take() ?? ByteBuffer()
        }
        buffer = input
        return true
    }

    /// Once shutdown began: ends the session at a command boundary with nothing buffered that it has not seen.
    private func shutDownIfIdle(context: ChannelHandlerContext) {
        guard quiescing, !session.isClosed, !session.isWaiting, session.canShutDown else { return }
        run(session.receive(Session.input(.shutdown)), context: context)
    }

    /// Feeds an answer (or a timeout) and carries on with any pipelined input.
    private func feed(_ input: Session.Input, context: ChannelHandlerContext) {
        run(session.receive(input), context: context)
        process(context: context)
    }

    private func run(_ actions: [Session.Action], context: ChannelHandlerContext) {
        var actions = actions
        while true {
            runOnce(actions, context: context)
            // An answer from memory goes in at once, not on a later turn of the loop: its reply leaves with this
            // read's flush, and the decoding loop that called goes on with the next pipelined command.
            guard let input = readyInput.take() else { return }
            actions = session.receive(input)
        }
    }

    private func runOnce(_ actions: [Session.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch Session.step(action) {
            case let .send(text):
                var out = context.channel.allocator.buffer(capacity: text.utf8.count)
                out.writeString(text)
                context.write(wrapOutboundOut(out), promise: nil)
                unflushed = true
            case let .sendBytes(bytes):
                context.write(wrapOutboundOut(bytes), promise: nil)
                unflushed = true
            case let .perform(work):
                answer(work, context: context)
            case .startTLS:
                startTLS(context: context)
            case .close:
                flushIfNeeded(context: context)
                context.close(promise: nil)
            }
        }
    }

    /// Runs `work` off the event loop and feeds its answer back on it.
    private func answer(_ work: Session.Work, context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        // Output the client has not read yet bounds what the next piece of work may produce.
        guard context.channel.isWritable else {
            heldWork = work
            return
        }
        if let input = readyAnswer?(work) {
            // Fed by the caller once it is done with its actions (no re-entry from here).
            readyInput = input
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let perform = self.perform
        let promise = context.eventLoop.makePromise(of: Session.Input.self)
        Task(executorPreference: executor) { promise.succeed(await perform(work)) }
        promise.futureResult.whenSuccess { input in
            let (handler, context) = bound.value
            guard context.channel.isActive else { return }
            handler.feed(input, context: context)
        }
    }

    /// RFC 3207: the reply goes out in plaintext, bytes already buffered after the command are dropped, then TLS.
    private func startTLS(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        if let dropped = buffer?.readableBytes, dropped > 0 {
            logger.notice("discarding input pipelined after STARTTLS", metadata: ["bytes": "\(dropped)"])
        }
        buffer = nil
        inputGeneration &+= 1
        decoder = CRLFLineDecoder(maximumLineLength: decoder.maximumLineLength)
        guard let tls else {
            context.close(promise: nil)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context), position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        run(session.receive(Session.input(.tlsStarted)), context: context)
    }

    /// While the session waits for its work, reading goes on until this much input is held: a client's next
    /// command usually arrives then, and stopping and restarting reads would cost two system calls a command.
    static var inputHeldWhileWaiting: Int { 16 * 1024 }

    private func updateReading(context: ChannelHandlerContext) {
        let buffered = buffer?.readableBytes ?? 0
        let shouldPause = (session.isWaiting && buffered > Self.inputHeldWhileWaiting) || !context.channel.isWritable
            || buffered > configuration.maximumBufferedInput
        guard shouldPause != readPaused else { return }
        readPaused = shouldPause
        context.channel.setOption(ChannelOptions.autoRead, value: !shouldPause).whenFailure { _ in }
        if !shouldPause { context.read() }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
    }

    // MARK: Idle timer

    /// One timeout while waiting for a command, another inside a message; restarted by every read. Nothing
    /// runs while the session waits for its own work, except when that work is held for a client that does
    /// not read.
    private func armTimer(context: ChannelHandlerContext) {
        if heldWork != nil {
            // A client that stops reading its answer gets the data timeout, not forever.
            timer?.arm(timeout: configuration.timeout(.data))
            return
        }
        guard !session.isClosed, !session.isWaiting else {
            timer?.cancel()
            return
        }
        timer?.arm(timeout: configuration.timeout(session.timeoutKind))
    }
}

@available(*, unavailable)
extension LineProtocolHandler: Sendable {}

extension LineEvent {
    /// The event for a decoder output.
    init(_ line: CRLFLineDecoder.Line) {
        switch line {
        case let .line(buffer): self = .line(buffer)
        case .tooLong: self = .lineTooLong
        case let .chunk(buffer): self = .chunk(buffer)
        }
    }
}
