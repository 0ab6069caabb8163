#if canImport(Glibc)
import Glibc
#endif
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle
public import ShoalCore
public import ShoalHTTP
public import ShoalServer

/// The web node's plain-HTTP listener on the epoll engine (`engine: epoll`): a fixed set of dedicated threads
/// (`EpollWebWorker`, each an `EpollLoop` with its own `SO_REUSEPORT` socket) serving the same `HTTPResponder`
/// as the NIO listener, without NIO channels. Graceful shutdown stops accepting, closes idle connections,
/// lets answers under way finish up to `drainTimeout`, then ends the threads.
public final class EpollWebServer: BindableServer, Sendable {
    public let listen: Endpoint
    let shared: EpollWebEngineShared
    let threadCount: Int
    let drainTimeout: Duration
    private let state = NIOLockedValueBox<(workers: [EpollWebWorker], bound: Endpoint?, stopped: Bool)>(([], nil, false))

    public init(listen: Endpoint, configuration: HTTPServerConfiguration, responder: any HTTPResponder, threads: Int,
                needsRemoteAddress: Bool, drainTimeout: Duration = .seconds(10), logger: Logger) {
        self.listen = listen
        self.threadCount = max(1, threads)
        self.drainTimeout = drainTimeout
        shared = EpollWebEngineShared(responder: responder, configuration: configuration, needsRemoteAddress: needsRemoteAddress,
                                      logger: logger)
    }

    /// Connections open on every thread.
    public var openConnections: Int { shared.open.load(ordering: .relaxed) }

    /// Binds one socket per thread (all or none), starts the threads; returns the bound address.
    @discardableResult
    public func start() async throws -> Endpoint {
        if let bound = state.withLockedValue({ $0.bound }) { return bound }
        let (fds, address) = try EpollSockets.listeningSockets(listen, count: threadCount, backlog: 4096)
        var workers: [EpollWebWorker] = []
        do {
            for index in 0..<threadCount { workers.append(try EpollWebWorker(index: index, engine: shared)) }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        for (index, (worker, fd)) in zip(workers, fds).enumerated() {
            worker.loop.enqueue { worker.listen(fd) }
            EpollLoop.startThread(name: "shoal-web-epoll-\(index)") { worker.run() }
        }
        state.withLockedValue {
            $0.workers = workers
            $0.bound = address
        }
        shared.logger.info("listening", metadata: ["address": "\(address)", "sockets": "\(fds.count)", "engine": "epoll"])
        return address
    }

    /// Serves until graceful shutdown, then drains.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdownGracefully()
    }

    /// Stops accepting, lets connections finish up to the drain timeout, closes the rest and ends the threads.
    public func shutdownGracefully() async {
        let workers = state.withLockedValue { state -> [EpollWebWorker] in
            guard !state.stopped else { return [] }
            state.stopped = true
            return state.workers
        }
        guard !workers.isEmpty else { return }
        for worker in workers { worker.loop.enqueue { worker.drain() } }
        let deadline = ContinuousClock.now + drainTimeout
        while openConnections > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for worker in workers {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let queued = worker.loop.enqueue {
                    worker.loop.stop()
                    continuation.resume()
                }
                if !queued { continuation.resume() }
            }
        }
    }
}
