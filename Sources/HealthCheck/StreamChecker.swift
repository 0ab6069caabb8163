import NIOCore
import ShoalCore

/// A check over one TCP connection, driven by a pure ``StreamConversation``.
struct StreamChecker<Conversation: StreamConversation>: Checker {
    let spec: CheckSpec
    let group: any EventLoopGroup
    let makeConversation: @Sendable (Endpoint) -> Conversation

    init(spec: CheckSpec, group: any EventLoopGroup, makeConversation: @escaping @Sendable (Endpoint) -> Conversation) {
        self.spec = spec
        self.group = group
        self.makeConversation = makeConversation
    }

    func check(_ server: Endpoint) async -> CheckResult {
        let verdict = await run(spec.target(for: server))
        return CheckResult(time: CheckText.now, succeeded: verdict.succeeded, message: verdict.message)
    }

    func run(_ target: Endpoint) async -> Verdict {
        let conversation = makeConversation(target)
        return await CheckConnection.run(spec: spec, group: group, target: target) { pipeline, attempt in
            try pipeline.addHandler(StreamConversationHandler(conversation: conversation, attempt: attempt))
        }
    }
}

/// Feeds a connection's bytes to a conversation and sends what it asks.
final class StreamConversationHandler<Conversation: StreamConversation>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: Conversation
    private let attempt: CheckAttempt
    private var pending: ByteBuffer?

    init(conversation: Conversation, attempt: CheckAttempt) {
        self.conversation = conversation
        self.attempt = attempt
    }

    func channelActive(context: ChannelHandlerContext) {
        attempt.armTimer(context: context)
        apply(conversation.opened(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !attempt.done else { return }
        var bytes = unwrapInboundIn(data)
        if pending == nil {
            pending = bytes
        } else {
            pending!.writeBuffer(&bytes)
        }
        // A step that sent something may leave bytes the next step understands (a pipelining peer).
        while !attempt.done {
            let step = conversation.received(&pending!)
            apply(step, context: context)
            guard !step.send.isEmpty, pending!.readableBytes > 0 else { break }
        }
        pending?.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !attempt.done { attempt.finish(conversation.closed(), context: context) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        attempt.finish(.down(CheckText.describe(error, timeout: 0)), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        attempt.abandon()
    }

    private func apply(_ step: ConversationStep, context: ChannelHandlerContext) {
        guard !attempt.done else { return }
        if !step.send.isEmpty {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: step.send)), promise: nil)
            attempt.armTimer(context: context)
        }
        if let verdict = step.verdict { attempt.finish(verdict, context: context) }
    }
}

@available(*, unavailable)
extension StreamConversationHandler: Sendable {}
