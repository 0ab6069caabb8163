import NIOCore
import ShoalCore

/// The outcome of replaying a login on a node connection, with what the node sent after its answer.
struct MailBackendOutcome {
    var result: MailRouteResult
    var leftover: ByteBuffer?
}

/// Runs a `MailBackendConversation` on a fresh node connection: cuts the node's lines (capped), writes the
/// conversation's lines, and completes `outcome` once at the result, a close, or the login timeout.
final class MailBackendLoginHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: any MailBackendConversation
    private var decoder = CRLFLineDecoder(maximumLineLength: 8192)
    private var buffer: ByteBuffer?
    private let outcome: EventLoopPromise<MailBackendOutcome>
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var done = false

    init(conversation: any MailBackendConversation, outcome: EventLoopPromise<MailBackendOutcome>, timeout: TimeAmount) {
        self.conversation = conversation
        self.outcome = outcome
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.finish(.unavailable, context: context)
            context.close(promise: nil)
        }
        write(conversation.start(), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        finish(.unavailable, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard !done else { return }
        if var pending = buffer.take() {
            pending.writeBuffer(&incoming)
            incoming = pending
        }
        while !done, let item = decoder.decode(buffer: &incoming) {
            switch item {
            case let .line(line):
                switch conversation.receive(String(decoding: line.readableBytesView, as: UTF8.self)) {
                case let .send(lines): write(lines, context: context)
                case let .finished(result):
                    finish(result, leftover: incoming.readableBytes > 0 ? incoming : nil, context: context)
                    return
                }
            case .tooLong, .chunk:
                finish(.unavailable, context: context)
                context.close(promise: nil)
                return
            }
        }
        buffer = incoming.readableBytes > 0 ? incoming : nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.unavailable, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.unavailable, context: context)
        context.close(promise: nil)
    }

    private func write(_ lines: [String], context: ChannelHandlerContext) {
        guard !lines.isEmpty else { return }
        var out = context.channel.allocator.buffer(capacity: 256)
        for line in lines { out.writeString(line + "\r\n") }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func finish(_ result: MailRouteResult, leftover: ByteBuffer? = nil, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        timer?.cancel()
        outcome.succeed(MailBackendOutcome(result: result, leftover: leftover))
    }
}
