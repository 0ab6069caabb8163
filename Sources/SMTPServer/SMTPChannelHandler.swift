#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOSSL
import ShoalCore

/// The child-channel glue of an SMTP or LMTP connection: raw bytes in, the pure `SMTPSession` decides,
/// replies out. It owns the line decoder so that BDAT chunks and STARTTLS switch input modes exactly at
/// the right byte, holds further pipelined commands while a directory or store answer is pending, and
/// stops reading meanwhile (backpressure).
final class SMTPChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: SMTPSession
    private var decoder: CRLFLineDecoder
    private var buffer: ByteBuffer?
    /// Changes whenever buffered input is dropped (STARTTLS), so a decoding loop knows not to go on with it.
    private var inputGeneration = 0
    private let agent: any MailAgent
    private let tls: NIOSSLContext?
    private let logger: Logger
    private var unflushed = false
    private var readPaused = false
    private let timeouts: SMTPTimeouts
    private var timer: Scheduled<Void>?
    /// The timeout `timer` enforces, and the last read (or answer) it counts from.
    private var timerDelay: TimeAmount = .zero
    private var lastActivity: NIODeadline = .now()

    init(session: SMTPSession, agent: any MailAgent, tls: NIOSSLContext?, maximumLineLength: Int, timeouts: SMTPTimeouts, logger: Logger) {
        self.session = session
        self.decoder = CRLFLineDecoder(maximumLineLength: maximumLineLength)
        self.agent = agent
        self.tls = tls
        self.timeouts = timeouts
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(session.start(), context: context)
        flushIfNeeded(context: context)
        armTimer(context: context)
        context.fireChannelActive()
    }

    /// RFC 5321 §4.5.3.2: one timeout while waiting for a command, another while message data comes in;
    /// restarted by every read. Nothing runs while the node itself is busy (a lookup or a delivery).
    ///
    /// A read only notes its time: the scheduled task, when it comes due, re-schedules itself for the rest of the
    /// timeout if there was activity meanwhile. (Cancelling and scheduling a task on every read of a message
    /// cost more than the timeout is worth.)
    private func armTimer(context: ChannelHandlerContext) {
        guard !session.isClosed, !session.isWaiting else {
            timer?.cancel()
            timer = nil
            return
        }
        let delay = session.isReceivingMessage ? timeouts.data : timeouts.command
        lastActivity = .now()
        if timer != nil && timerDelay == delay { return }
        timer?.cancel()
        timerDelay = delay
        scheduleTimer(at: lastActivity + delay, context: context)
    }

    private func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            let due = handler.lastActivity + handler.timerDelay
            if due > .now() {
                handler.scheduleTimer(at: due, context: context)
                return
            }
            handler.timer = nil
            handler.feed(.timeout, context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
        guard case .line = session.inputMode, !decoder.isDiscarding, incoming.readableBytes > 0 else { return nil }
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

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        _ = session.receive(.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
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
        while !session.isWaiting && !session.isClosed && input.readableBytes > 0 {
            if case let .chunk(remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
            guard let item = decoder.decode(buffer: &input) else { break }
            let actions = session.receive(SMTPInput(item))
            if actions.isEmpty { continue }
            buffer = input
            let generation = inputGeneration
            perform(actions, context: context)
            guard inputGeneration == generation else { return false }  // dropped (STARTTLS)
            input = buffer.take() ?? ByteBuffer()
        }
        buffer = input
        return true
    }

    /// Feeds an answer (or a timeout) and carries on with any pipelined input.
    private func feed(_ input: SMTPInput, context: ChannelHandlerContext) {
        perform(session.receive(input), context: context)
        process(context: context)
    }

    private func perform(_ actions: [SMTPAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case let .reply(reply):
                var out = context.channel.allocator.buffer(capacity: 64)
                out.writeString(reply.rendered())
                context.write(wrapOutboundOut(out), promise: nil)
                unflushed = true
            case let .checkRecipient(address, mailFrom):
                let agent = self.agent
                answer(context: context) { .recipientChecked(await agent.checkRecipient(address: address, mailFrom: mailFrom)) }
            case let .authenticate(login, password):
                let agent = self.agent
                answer(context: context) { .authenticationResult(await agent.authenticate(login: login, password: password)) }
            case let .deliver(envelope):
                let agent = self.agent
                answer(context: context) { .delivered(await agent.deliver(envelope)) }
            case .startTLS:
                startTLS(context: context)
            case .close:
                flushIfNeeded(context: context)
                context.close(promise: nil)
            }
        }
    }

    /// Runs `work` off the event loop and feeds its result back on it.
    private func answer(context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> SMTPInput) {
        flushIfNeeded(context: context)
        let promise = context.eventLoop.makePromise(of: SMTPInput.self)
        promise.completeWithTask(work)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { input in
            let (handler, context) = bound.value
            guard context.channel.isActive else { return }
            handler.feed(input, context: context)
        }
    }

    /// RFC 3207: the 220 goes out in plaintext, bytes already buffered after STARTTLS are dropped, then TLS.
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
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        perform(session.receive(.tlsStarted), context: context)
    }

    private func updateReading(context: ChannelHandlerContext) {
        let shouldPause = session.isWaiting || (buffer?.readableBytes ?? 0) > 1 << 20
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
}
