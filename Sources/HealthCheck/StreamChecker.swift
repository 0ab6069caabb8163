import NIOCore
import NIOPosix
import ShoalCore

/// A check over one TCP connection, driven by a pure ``StreamConversation``.
///
/// Connecting is bounded by connect_timeout, and so is every step after it: the wait for the first
/// reply, and each wait after something was sent.
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
        let timeout = spec.connectTimeout
        let amount = TimeAmount.nanoseconds(Int64(timeout * 1_000_000_000))
        let loop = group.next()
        let promise = loop.makePromise(of: Verdict.self)
        let conversation = makeConversation(target)
        let address = target.socketAddress
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(amount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = StreamConversationHandler(conversation: conversation, promise: promise,
                                                            stepTimeout: amount, timeoutText: CheckText.seconds(timeout))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        do {
            _ = try await bootstrap.connect(to: address).get()
        } catch {
            let verdict = Verdict.down(CheckText.describe(error, timeout: timeout))
            promise.succeed(verdict)
            return verdict
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            return .down(CheckText.describe(error, timeout: timeout))
        }
    }
}

/// Feeds a connection's bytes to a conversation, sends what it asks, and enforces the per-step timeout.
final class StreamConversationHandler<Conversation: StreamConversation>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: Conversation
    private let promise: EventLoopPromise<Verdict>
    private let stepTimeout: TimeAmount
    private let timeoutText: String
    private var timer: Scheduled<Void>?
    private var pending: ByteBuffer?
    private var done = false

    init(conversation: Conversation, promise: EventLoopPromise<Verdict>, stepTimeout: TimeAmount, timeoutText: String) {
        self.conversation = conversation
        self.promise = promise
        self.stepTimeout = stepTimeout
        self.timeoutText = timeoutText
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(context: context)
        apply(conversation.opened(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var bytes = unwrapInboundIn(data)
        if pending == nil {
            pending = bytes
        } else {
            pending!.writeBuffer(&bytes)
        }
        // A step that sent something may leave bytes the next step understands (a pipelining peer).
        while !done {
            let step = conversation.received(&pending!)
            apply(step, context: context)
            guard !step.send.isEmpty, pending!.readableBytes > 0 else { break }
        }
        pending?.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { finish(conversation.closed(), context: context) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.down(CheckText.describe(error, timeout: 0)), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        if !done {
            done = true
            promise.succeed(.down("connection closed"))
        }
    }

    private func apply(_ step: ConversationStep, context: ChannelHandlerContext) {
        guard !done else { return }
        if !step.send.isEmpty {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: step.send)), promise: nil)
            armTimer(context: context)
        }
        if let verdict = step.verdict { finish(verdict, context: context) }
    }

    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: stepTimeout) { [self] in
            finish(.down("timeout after \(timeoutText)"), context: context)
        }
    }

    private func finish(_ verdict: Verdict, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.succeed(verdict)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension StreamConversationHandler: Sendable {}
