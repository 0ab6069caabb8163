import NIOCore
import NIOPosix
import ShoalCore

/// One check attempt on its channel: a per-step timer, and a verdict delivered exactly once.
///
/// Shared by the handlers that drive a conversation (byte streams, HTTP responses); lives on one event loop.
final class CheckAttempt {
    private let promise: EventLoopPromise<Verdict>
    private let stepTimeout: TimeAmount
    private let timeoutText: String
    private var timer: Scheduled<Void>?
    private(set) var done = false

    init(promise: EventLoopPromise<Verdict>, stepTimeout: TimeAmount, timeoutText: String) {
        self.promise = promise
        self.stepTimeout = stepTimeout
        self.timeoutText = timeoutText
    }

    /// Starts (or restarts) the wait for the peer's next step.
    func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: stepTimeout) { [self] in
            finish(.down("timeout after \(timeoutText)"), context: context)
        }
    }

    /// Delivers the verdict (the first one wins) and closes the connection.
    func finish(_ verdict: Verdict, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.succeed(verdict)
        context.close(promise: nil)
    }

    /// The handler left the pipeline: no verdict came, so the attempt failed.
    func abandon() {
        timer?.cancel()
        if !done {
            done = true
            promise.succeed(.down("connection closed"))
        }
    }
}

@available(*, unavailable)
extension CheckAttempt: Sendable {}

/// Connects for one stream check attempt and waits for the verdict its handlers deliver.
///
/// Connecting is bounded by connect_timeout, and so is every step after it (see ``CheckAttempt``).
enum CheckConnection {
    static func run(spec: CheckSpec, group: any EventLoopGroup, target: Endpoint,
                    install: @escaping @Sendable (ChannelPipeline.SynchronousOperations, CheckAttempt) throws -> Void) async -> Verdict {
        let timeout = spec.connectTimeout
        let amount = TimeAmount.nanoseconds(Int64(timeout * 1_000_000_000))
        let loop = group.next()
        let promise = loop.makePromise(of: Verdict.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(amount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let attempt = CheckAttempt(promise: promise, stepTimeout: amount, timeoutText: CheckText.seconds(timeout))
                    try install(channel.pipeline.syncOperations, attempt)
                }
            }
        return await verdict(of: promise, timeout: timeout) { _ = try await bootstrap.connect(to: target.socketAddress).get() }
    }

    /// Runs `connect`, then waits for the verdict the channel's handlers deliver to `promise`; a failure to
    /// connect is the verdict (and completes the promise, so nothing is left waiting).
    static func verdict(of promise: EventLoopPromise<Verdict>, timeout: Double,
                        connect: () async throws -> Void) async -> Verdict {
        do {
            try await connect()
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
