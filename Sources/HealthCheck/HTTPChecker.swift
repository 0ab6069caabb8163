import NIOCore
import NIOHTTP1
import ShoalCore

/// An HTTP check: NIOHTTP1's response decoder in front of an ``HTTPConversation``.
struct HTTPChecker: Checker {
    let spec: CheckSpec
    let check: HTTPCheck
    let group: any EventLoopGroup

    func check(_ server: Endpoint) async -> CheckResult {
        let verdict = await run(spec.target(for: server))
        return CheckResult(time: CheckText.now, succeeded: verdict.succeeded, message: verdict.message)
    }

    func run(_ target: Endpoint) async -> Verdict {
        let conversation = HTTPConversation(check: check, target: target)
        return await CheckConnection.run(spec: spec, group: group, target: target) { pipeline, attempt in
            try HTTPConversation.addCodec(to: pipeline)
            try pipeline.addHandler(HTTPConversationHandler(conversation: conversation, attempt: attempt))
        }
    }
}

/// Sends the request and feeds the decoded response parts to the conversation.
final class HTTPConversationHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var conversation: HTTPConversation
    private let attempt: CheckAttempt

    init(conversation: HTTPConversation, attempt: CheckAttempt) {
        self.conversation = conversation
        self.attempt = attempt
    }

    func channelActive(context: ChannelHandlerContext) {
        attempt.armTimer(context: context)
        context.write(wrapOutboundOut(.head(conversation.requestHead)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !attempt.done else { return }
        if let verdict = conversation.received(unwrapInboundIn(data)) { attempt.finish(verdict, context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            attempt.finish(conversation.failed(error), context: context)
        } else {
            attempt.finish(.down(CheckText.describe(error, timeout: 0)), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !attempt.done { attempt.finish(conversation.closed(), context: context) }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        attempt.abandon()
    }
}

@available(*, unavailable)
extension HTTPConversationHandler: Sendable {}
