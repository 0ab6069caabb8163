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
    private let agent: any MailAgent
    private let tls: NIOSSLContext?
    private let logger: Logger
    private var unflushed = false
    private var readPaused = false
    private let timeouts: SMTPTimeouts
    private var timer: Scheduled<Void>?

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
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard !session.isClosed, !session.isWaiting else { return }
        let delay = session.isReceivingMessage ? timeouts.data : timeouts.command
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = bound.value
            handler.timer = nil
            handler.feed(.timeout, context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        process(context: context)
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
        while !session.isWaiting && !session.isClosed {
            if case let .chunk(remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
            guard var input = buffer, input.readableBytes > 0 else { break }
            let item = decoder.decode(buffer: &input)
            buffer = input
            guard let item else { break }
            perform(session.receive(SMTPInput(item)), context: context)
        }
        if let b = buffer, b.readableBytes == 0 { buffer = nil } else { buffer?.discardReadBytes() }
        updateReading(context: context)
        flushIfNeeded(context: context)
        armTimer(context: context)
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
