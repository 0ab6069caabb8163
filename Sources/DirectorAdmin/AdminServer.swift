public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ShoalCore

/// The director's HTTP admin server: JSON API, `/metrics` and the status page over NIOHTTP1.
///
/// `start()` binds and serves in the background, returning the bound address; `run()` does the same and
/// waits until `shutdown()`. Shutdown is graceful: the listener closes, idle keep-alive connections close,
/// and requests in flight get their response (with `Connection: close`) before their connection closes.
public actor AdminServer {
    enum State {
        case idle
        case running(listener: any Channel, task: Task<Void, Never>, address: Endpoint)
        case stopped
    }

    public nonisolated let configuration: AdminServerConfiguration
    nonisolated let api: AdminAPI
    nonisolated let group: any EventLoopGroup
    nonisolated let logger: Logger
    let tracker = ConnectionTracker()
    var state = State.idle

    public init(configuration: AdminServerConfiguration = AdminServerConfiguration(), control: any DirectorControl,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "shoal.admin")) {
        self.configuration = configuration
        self.api = AdminAPI(control: control, token: configuration.token, statusRefreshSeconds: configuration.statusRefreshSeconds)
        self.group = group
        self.logger = logger
    }

    /// Binds and starts serving in the background; returns the bound address (useful with port 0).
    @discardableResult
    public func start() async throws -> Endpoint {
        switch state {
        case let .running(_, _, address): return address
        case .stopped: throw ConfigError(field: "admin", "the admin server was shut down")
        case .idle: break
        }
        let listen = configuration.listen
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "\(listen.address)", port: Int(listen.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        guard let local = listener.channel.localAddress, let port = local.port,
              let ip = local.ipAddress.flatMap({ IPAddress($0) }) else {
            try? await listener.channel.close()
            throw ConfigError(field: "admin", "could not read the bound address")
        }
        let address = Endpoint(ip, UInt16(port))
        let connection = AdminConnection(api: api, tracker: tracker, configuration: configuration, logger: logger)
        let logger = self.logger
        let task = Task {
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    try await listener.executeThenClose { inbound in
                        for try await child in inbound {
                            group.addTask { await connection.serve(child) }
                        }
                    }
                }
            } catch {
                logger.error("admin server stopped: \(error)")
            }
        }
        state = .running(listener: listener.channel, task: task, address: address)
        logger.info("admin server listening on \(address)")
        return address
    }

    /// Starts (if needed) and waits until the server has shut down.
    public func run() async throws {
        try await start()
        guard case let .running(_, task, _) = state else { return }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            Task { await self.shutdown() }
        }
    }

    /// The bound address while running.
    public var boundAddress: Endpoint? {
        if case let .running(_, _, address) = state { return address }
        return nil
    }

    /// Stops accepting, closes idle connections, lets requests in flight finish, then returns.
    public func shutdown() async {
        guard case let .running(listener, task, _) = state else {
            state = .stopped
            return
        }
        state = .stopped
        try? await listener.close()
        await tracker.quiesce()
        await task.value
    }
}
