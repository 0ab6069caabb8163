#if canImport(Glibc)
import Glibc
#endif
public import Director
import Foundation
public import Logging
import NIOConcurrencyHelpers
public import ShoalCore
import ShoalServer

/// The raw epoll TCP forwarding engine: a fixed set of dedicated threads (`EpollWorker`), each with its own
/// epoll instance, that accept, connect and relay plain L4 TCP connections without NIO channels. Services
/// opt in with `engine: epoll`; their listeners (`EpollProxyListener`) put one `SO_REUSEPORT` socket on
/// each thread. Scheduling, the connection table, limits and traffic counters are the Director core's,
/// reached through the same `ConnectionScheduler` calls as the NIO path (locks only, never async work).
public final class EpollForwarder: Sendable {
    let workers: [EpollWorker]

    /// Starts `threadCount` forwarding threads.
    public init(threadCount: Int, logger: Logger) throws {
        var workers: [EpollWorker] = []
        for index in 0..<max(1, threadCount) { workers.append(try EpollWorker(index: index, logger: logger)) }
        self.workers = workers
        for (index, worker) in workers.enumerated() {
            let thread = Thread { worker.run() }
            thread.name = "shoal-epoll-\(index)"
            thread.start()
        }
    }

    /// Connections open on every thread.
    public var openConnections: Int { workers.reduce(0) { $0 + $1.openCount.load(ordering: .relaxed) } }

    /// Closes every open connection (normally: a FIN to both peers).
    public func closeAll() {
        for worker in workers { worker.enqueue(.closeAll) }
    }

    /// Waits up to `timeout` for every connection to end, then closes the rest; how many had to be closed.
    /// (Stop the listeners first.)
    public func drain(timeout: Duration) async -> Int {
        // Connections still in a preamble that may end now (a mail client not logged in) are let go at once.
        for worker in workers { worker.enqueue(.quiesce) }
        let deadline = ContinuousClock.now + timeout
        while openConnections > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let remaining = openConnections
        if remaining > 0 { closeAll() }
        return remaining
    }

    /// Closes every connection and listening socket and ends the threads.
    public func shutdown() async {
        for worker in workers {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                worker.enqueue(.stop { continuation.resume() })
            }
        }
    }
}

/// A virtual service address served by the epoll engine: one `SO_REUSEPORT` listening socket per engine
/// thread. Settings can change while it runs (they apply to new connections); stopping closes the listening
/// sockets only, so established connections carry on.
public final class EpollProxyListener: Sendable {
    public let service: VirtualServiceKey
    public let listen: Endpoint
    private let scheduler: any ConnectionScheduler
    private let logger: Logger
    private let engine: EpollForwarder
    private let current: NIOLockedValueBox<TCPProxyService>
    private let preambles: NIOLockedValueBox<(any EpollPreambleFactory)?>
    /// The listening socket of each worker, while listening.
    private let sockets = NIOLockedValueBox<[Int32]>([])
    private let bound = NIOLockedValueBox<Endpoint?>(nil)

    /// With `preambles`, each connection first holds the conversation its preamble leads (e.g. a mail login),
    /// then is relayed.
    public init(service: VirtualServiceKey, listen: Endpoint, settings: ProxySettings, scheduler: any ConnectionScheduler,
                engine: EpollForwarder, logger: Logger, preambles: (any EpollPreambleFactory)? = nil) {
        self.preambles = NIOLockedValueBox(preambles)
        self.service = service
        self.listen = listen
        self.scheduler = scheduler
        self.logger = logger
        self.engine = engine
        current = NIOLockedValueBox(TCPProxyService(service: service, virtual: listen, scheduler: scheduler, settings: settings, logger: logger))
    }

    /// What a new connection gets (read by the engine's threads at each accept).
    var shared: TCPProxyService { current.withLockedValue { $0 } }

    /// What a connection accepted now gets: the service and the preamble factory.
    var accepting: (TCPProxyService, (any EpollPreambleFactory)?) { (shared, preambleFactory) }

    /// What makes a new connection's preamble (nil: plain TCP, relayed at once).
    public var preambleFactory: (any EpollPreambleFactory)? {
        get { preambles.withLockedValue { $0 } }
        set { preambles.withLockedValue { $0 = newValue } }
    }

    /// The settings new connections get.
    public var settings: ProxySettings {
        get { shared.settings }
        set {
            let next = TCPProxyService(service: service, virtual: listen, scheduler: scheduler, settings: newValue, logger: logger)
            current.withLockedValue { $0 = next }
        }
    }

    /// The address actually bound (useful with port 0).
    public var boundAddress: Endpoint? { bound.withLockedValue { $0 } }

    /// Binds one socket per engine thread (all or none) and starts accepting.
    public func start() throws {
        let (fds, address) = try EpollSockets.listeningSockets(listen, count: engine.workers.count, backlog: 4096)
        sockets.withLockedValue { $0 = fds }
        bound.withLockedValue { $0 = address }
        for (worker, fd) in zip(engine.workers, fds) { worker.enqueue(.addListener(fd, self)) }
        logger.info("listening", metadata: ["service": "\(service)", "address": "\(address)", "sockets": "\(fds.count)", "engine": "epoll"])
    }

    /// Stops accepting (each thread closes its socket); established connections carry on.
    public func stop() async {
        let fds = sockets.withLockedValue { fds in defer { fds = [] }; return fds }
        for (worker, fd) in zip(engine.workers, fds) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                worker.enqueue(.removeListener(fd) { continuation.resume() })
            }
        }
    }
}
