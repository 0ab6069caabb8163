public import Logging
public import NIOCore
public import NIOPosix
public import ShoalCore

/// An HTTP/1.1 server for one responder: binds, serves every connection with `HTTPServerPipeline`, caps
/// the connections, and shuts down gracefully (stop accepting, close idle connections, let requests in
/// flight get their answer with `Connection: close`, then return).
public actor HTTPServer<Responder: HTTPResponder> {
    enum State {
        case idle
        case running(listener: any Channel, address: Endpoint)
        case stopped
    }

    /// What the server is called in logs and errors (for example "admin").
    public nonisolated let name: String
    public nonisolated let listen: Endpoint
    public nonisolated let configuration: HTTPServerConfiguration
    public nonisolated let responder: Responder
    nonisolated let group: any EventLoopGroup
    nonisolated let logger: Logger
    nonisolated let registry: HTTPConnectionRegistry
    var state = State.idle

    public init(name: String, listen: Endpoint, configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                responder: Responder, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.name = name
        self.listen = listen
        self.configuration = configuration
        self.responder = responder
        self.group = group
        self.logger = logger
        self.registry = HTTPConnectionRegistry(maxConnections: configuration.maxConnections)
    }

    /// Binds and starts serving in the background; returns the bound address (useful with port 0).
    @discardableResult
    public func start() async throws -> Endpoint {
        switch state {
        case let .running(_, address): return address
        case .stopped: throw ConfigError(field: name, "the \(name) server was shut down")
        case .idle: break
        }
        let (registry, responder, configuration, logger) = (self.registry, self.responder, self.configuration, self.logger)
        let listener: any Channel
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard registry.admit(channel) else { return try HTTPServerPipeline.configureOverloaded(channel) }
                        try HTTPServerPipeline.configure(channel, responder: responder, configuration: configuration, logger: logger)
                    }
                }
                .bind(host: "\(listen.address)", port: Int(listen.port)).get()
        } catch {
            throw ConfigError(field: name, "cannot listen on \(listen): \(error)")
        }
        guard let local = listener.localAddress, let port = local.port, let ip = local.ipAddress.flatMap({ IPAddress($0) }) else {
            try? await listener.close()
            throw ConfigError(field: name, "could not read the bound address of \(listen)")
        }
        let address = Endpoint(ip, UInt16(port))
        state = .running(listener: listener, address: address)
        logger.info("\(name) server listening on \(address)")
        return address
    }

    /// Starts (if needed) and waits until the server has shut down (cancelling the waiting task shuts it down).
    public func run() async throws {
        try await start()
        guard case let .running(listener, _) = state else { return }
        await withTaskCancellationHandler {
            try? await listener.closeFuture.get()
            await registry.quiesce()
        } onCancel: {
            Task { await self.shutdown() }
        }
    }

    /// The bound address while running.
    public var boundAddress: Endpoint? {
        if case let .running(_, address) = state { return address }
        return nil
    }

    /// How many connections are open now.
    public nonisolated var connectionCount: Int { registry.count }

    /// Stops accepting, closes idle connections, lets requests in flight finish, then returns.
    public func shutdown() async {
        guard case let .running(listener, _) = state else {
            state = .stopped
            return
        }
        state = .stopped
        try? await listener.close()
        await registry.quiesce()
        logger.info("\(name) server stopped")
    }
}
