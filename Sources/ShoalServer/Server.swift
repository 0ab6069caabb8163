public import Logging
public import NIOCore
public import ServiceLifecycle
public import ShoalCore

/// A listening server for any protocol, as a swift-service-lifecycle `Service`: binds, serves every
/// connection with its ``ServerChild``, and on graceful shutdown stops accepting, lets connections finish
/// (they are told to quiesce) up to the drain timeout, then closes the rest.
///
/// `start()` binds early (so that a busy address fails before the service group runs, and tests can read
/// the port); `run()` starts if needed and serves until graceful shutdown or cancellation.
public actor Server<Child: ServerChild>: Service {
    enum State {
        case initial
        case running(Listener)
        case stopping
        case stopped
    }

    public nonisolated let configuration: ListenerConfiguration
    public nonisolated let child: Child
    public nonisolated let registry: ConnectionRegistry
    public nonisolated let logger: Logger
    nonisolated let group: any EventLoopGroup
    private var state = State.initial
    private let accepted: AsyncStream<Child.Value>
    private let acceptedContinuation: AsyncStream<Child.Value>.Continuation

    /// - Parameter registry: shared when several servers drain together; by default one of its own, capped
    ///   at the configuration's `maximumConnections`.
    public init(child: Child, configuration: ListenerConfiguration, group: any EventLoopGroup, registry: ConnectionRegistry? = nil,
                logger: Logger) {
        self.child = child
        self.configuration = configuration
        self.group = group
        self.registry = registry ?? ConnectionRegistry(maximumConnections: configuration.maximumConnections)
        self.logger = logger
        (accepted, acceptedContinuation) = AsyncStream.makeStream(of: Child.Value.self)
    }

    /// Binds the listener (once) and returns the bound address.
    @discardableResult
    public func start() async throws -> Endpoint {
        switch state {
        case let .running(listener): return listener.boundAddress
        case .stopping, .stopped: throw ServerStateError.stopped(configuration.address)
        case .initial: break
        }
        let child = self.child, logger = self.logger, continuation = acceptedContinuation, configuration = self.configuration
        let listener = try await Listener.bind(configuration, group: group, registry: registry, logger: logger,
                                               refuse: { child.refuse(channel: $0, logger: logger) }) { channel in
            if let gate = configuration.gate, !Child.servesAsynchronously {
                try gate.hold(channel) { client in
                    do {
                        if let client { try channel.pipeline.syncOperations.addHandler(ClientAddressNote(client: client)) }
                        _ = try child.setup(channel: channel, logger: logger)
                    } catch {
                        logger.debug("connection setup failed", metadata: ["error": "\(error)"])
                        channel.close(promise: nil)
                    }
                }
                return
            }
            let value = try child.setup(channel: channel, logger: logger)
            if Child.servesAsynchronously { continuation.yield(value) }
        }
        guard case .initial = state else {
            await listener.close()
            throw ServerStateError.stopped(configuration.address)
        }
        state = .running(listener)
        logger.info("listening", metadata: ["address": "\(listener.boundAddress)", "sockets": "\(listener.socketCount)"])
        return listener.boundAddress
    }

    /// The bound address while running.
    public var boundAddress: Endpoint? {
        if case let .running(listener) = state { return listener.boundAddress }
        return nil
    }

    /// Serves until graceful shutdown (then drains) or cancellation (then closes every connection).
    public func run() async throws {
        try await start()
        let child = self.child, logger = self.logger, accepted = self.accepted
        await withDiscardingTaskGroup { group in
            if Child.servesAsynchronously {
                group.addTask {
                    await withDiscardingTaskGroup { connections in
                        for await value in accepted {
                            connections.addTask { await child.handle(value, logger: logger) }
                        }
                    }
                }
            }
            do {
                try await gracefulShutdown()
                await shutdownGracefully()
            } catch {
                await stopAccepting()
                registry.closeAll()
            }
            acceptedContinuation.finish()
        }
    }

    /// Stops accepting and drains: connections are told to quiesce and get up to the drain timeout.
    public func shutdownGracefully() async {
        guard await stopAccepting() else { return }
        let open = registry.count
        if open > 0 { logger.notice("draining", metadata: ["connections": "\(open)"]) }
        let closed = await registry.drain(timeout: configuration.drainTimeout)
        if closed > 0 {
            logger.notice("drain timeout: closed the remaining connections", metadata: ["connections": "\(closed)"])
        }
        state = .stopped
    }

    /// Closes the listening sockets; false when already stopped.
    @discardableResult
    private func stopAccepting() async -> Bool {
        guard case let .running(listener) = state else {
            if case .initial = state { state = .stopped }
            return false
        }
        state = .stopping
        await listener.close()
        return true
    }
}

/// A server asked to start after it stopped.
public enum ServerStateError: Error, CustomStringConvertible {
    case stopped(Endpoint)

    public var description: String {
        switch self {
        case let .stopped(address): "the server for \(address) was shut down"
        }
    }
}

/// A server whose protocol does not matter to its owner: a node keeps its SMTP, POP3 and IMAP servers in
/// one list, binds them together and drains them together.
public protocol BindableServer: Service {
    /// Binds the listening sockets; returns the bound address.
    func start() async throws -> Endpoint
    /// Stops accepting and drains the connections.
    func shutdownGracefully() async
}

extension Server: BindableServer {}

extension Array where Element == any BindableServer {
    /// Binds every server, all or none (on a failure those already bound are shut down); returns the bound
    /// addresses in order.
    public func startAll() async throws -> [Endpoint] {
        var bound: [Endpoint] = []
        do {
            for server in self { bound.append(try await server.start()) }
        } catch {
            for server in self { await server.shutdownGracefully() }
            throw error
        }
        return bound
    }
}
