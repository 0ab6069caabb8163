import NIOCore
import ShoalCore
import ShoalServer

/// The outcome of replaying a login on a node connection, with what the node sent after its answer.
struct MailBackendOutcome {
    var result: MailRouteResult
    var leftover: ByteBuffer?
}

/// The one handler of a node connection opened for a login: runs a `MailBackendConversation` (cuts the
/// node's lines, capped; writes the conversation's lines, the first ones pipelined behind the connect), tells
/// `report` the outcome once (the result, or `.unavailable` when the node closes or breaks off), and once
/// spliced passes every event to the server side's `TCPProxyGlue` embedded here (the pipeline never changes).
/// Nothing is reported for a connection that never became active: the connect's own failure says it. The
/// login timeout is the client side's: it closes this channel.
final class MailBackendLoginHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var replay: MailBackendReplay
    private var report: ((MailBackendOutcome, MailBackendLoginHandler, ChannelHandlerContext) -> Void)?
    private var active = false
    /// The server side of the splice, once spliced.
    private var glue: TCPProxyGlue?

    /// `report` gets the outcome, this handler and its context (to `splice` it).
    init(conversation: any MailBackendConversation,
         report: @escaping (MailBackendOutcome, MailBackendLoginHandler, ChannelHandlerContext) -> Void) {
        self.replay = MailBackendReplay(conversation)
        self.report = report
    }

    /// From now on every event goes to `glue` (call on the channel's event loop, after the outcome).
    func splice(_ glue: TCPProxyGlue, context: ChannelHandlerContext) {
        glue.attach(context)
        self.glue = glue
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Before the connect completes: NIO writes it once connected.
        write(replay.start(), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        glue?.handlerRemoved(context: context)
        glue = nil
        report = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        active = true
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let glue { return glue.channelRead(context: context, data: data) }
        guard report != nil else { return }
        var incoming = unwrapInboundIn(data)
        let progress = replay.receive(&incoming)
        write(progress.send, context: context)
        if let outcome = progress.result { finish(outcome.result, leftover: outcome.leftover, context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let glue { return glue.channelReadComplete(context: context) }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let glue { return glue.channelWritabilityChanged(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let glue { return glue.read(context: context) }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let glue { return glue.userInboundEventTriggered(context: context, event: event) }
        // The node half-closed during the login: it will not answer.
        if let event = event as? ChannelEvent, case .inputClosed = event {
            finish(.unavailable, context: context)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let glue { return glue.channelInactive(context: context) }
        finish(.unavailable, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let glue { return glue.errorCaught(context: context, error: error) }
        finish(.unavailable, context: context)
        context.close(promise: nil)
    }

    private func write(_ lines: [String], context: ChannelHandlerContext) {
        guard !lines.isEmpty else { return }
        var out = context.channel.allocator.buffer(capacity: 256)
        for line in lines {
            out.writeString(line)
            out.writeStaticString("\r\n")
        }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func finish(_ result: MailRouteResult, leftover: ByteBuffer? = nil, context: ChannelHandlerContext) {
        guard let report else { return }
        self.report = nil
        guard active else { return }
        report(MailBackendOutcome(result: result, leftover: leftover), self, context)
    }
}
