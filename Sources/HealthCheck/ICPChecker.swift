import NIOCore
import NIOPosix
import ShoalCore

/// An ICP check: one SECHO datagram, success when a well-formed ICP v2 reply with its request number
/// comes back within connect_timeout. Replies to other request numbers are ignored; anything malformed
/// from the server fails the attempt at once.
struct ICPChecker: Checker {
    let spec: CheckSpec
    let group: any EventLoopGroup

    func check(_ server: Endpoint) async -> CheckResult {
        let verdict = await run(spec.target(for: server))
        return CheckResult(time: CheckText.now, succeeded: verdict.succeeded, message: verdict.message)
    }

    func run(_ target: Endpoint) async -> Verdict {
        let timeout = spec.connectTimeout
        let amount = TimeAmount.nanoseconds(Int64(timeout * 1_000_000_000))
        let loop = group.next()
        let promise = loop.makePromise(of: Verdict.self)
        let probe = ICPProbe(requestNumber: UInt32.random(in: 1...UInt32.max), url: "http://\(target)/")
        return await CheckConnection.verdict(of: promise, timeout: timeout) {
            _ = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ICPProbeHandler(probe: probe, promise: promise, timeout: amount, timeoutText: CheckText.seconds(timeout)))
                    }
                }
                .connect(to: target.socketAddress).get()
        }
    }
}

/// Sends the probe when the datagram channel is up and judges what comes back.
final class ICPProbeHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = ByteBuffer

    private let probe: ICPProbe
    private let promise: EventLoopPromise<Verdict>
    private let timeout: TimeAmount
    private let timeoutText: String
    private var timer: Scheduled<Void>?
    private var done = false

    init(probe: ICPProbe, promise: EventLoopPromise<Verdict>, timeout: TimeAmount, timeoutText: String) {
        self.probe = probe
        self.promise = promise
        self.timeout = timeout
        self.timeoutText = timeoutText
    }

    func channelActive(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            finish(.down("timeout after \(timeoutText)"), context: context)
        }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: probe.request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        if let verdict = probe.judge(bytes) { finish(verdict, context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.down(CheckText.describe(error, timeout: 0)), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        if !done {
            done = true
            promise.succeed(.down("channel closed"))
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
extension ICPProbeHandler: Sendable {}
