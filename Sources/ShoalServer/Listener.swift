#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL
public import ShoalCore

/// The bound listening sockets of one server: one socket, or one per event loop with `SO_REUSEPORT`.
/// Every accepted connection is registered with the ``ConnectionRegistry``, wrapped in TLS when the
/// listener is implicit-TLS, then handed to the child's setup.
public final class Listener: Sendable {
    public let configuration: ListenerConfiguration
    /// The address actually bound (the real port when the configuration asked for port 0).
    public let boundAddress: Endpoint
    private let channels: NIOLockedValueBox<[any Channel]>

    init(configuration: ListenerConfiguration, boundAddress: Endpoint, channels: [any Channel]) {
        self.configuration = configuration
        self.boundAddress = boundAddress
        self.channels = NIOLockedValueBox(channels)
    }

    /// Binds every socket (all or none) and starts accepting.
    /// - Parameters:
    ///   - accept: called on the connection's event loop with the (TLS-wrapped) channel; throwing closes it.
    ///   - refuse: called instead for a connection over the registry's cap (by default it is closed).
    public static func bind(_ configuration: ListenerConfiguration, group: any EventLoopGroup, registry: ConnectionRegistry,
                            logger: Logger, refuse: @escaping @Sendable (any Channel) -> Void = { $0.close(promise: nil) },
                            accept: @escaping @Sendable (any Channel) throws -> Void) async throws -> Listener {
        let loops: [any EventLoop] = configuration.socketPerEventLoop ? Array(group.makeIterator()) : [group.next()]
        var bound: [any Channel] = []
        var address = configuration.address.socketAddress
        do {
            for loop in loops {
                let channel = try await bootstrap(configuration, loop: loop, group: configuration.socketPerEventLoop ? loop : group,
                                                  registry: registry, logger: logger, refuse: refuse, accept: accept)
                    .bind(to: address).get()
                if bound.isEmpty, let local = channel.localAddress { address = local }
                bound.append(channel)
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw ListenerError(address: configuration.address, underlying: error)
        }
        let endpoint = Endpoint(socketAddress: address) ?? configuration.address
        return Listener(configuration: configuration, boundAddress: endpoint, channels: bound)
    }

    private static func bootstrap(_ configuration: ListenerConfiguration, loop: any EventLoop, group: any EventLoopGroup,
                                  registry: ConnectionRegistry, logger: Logger, refuse: @escaping @Sendable (any Channel) -> Void,
                                  accept: @escaping @Sendable (any Channel) throws -> Void) -> ServerBootstrap {
        var bootstrap = ServerBootstrap(group: loop, childGroup: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        if configuration.socketPerEventLoop {
            bootstrap = bootstrap.serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        }
        let implicitTLS: TLSContextSource? = if case let .implicit(source) = configuration.tls { source } else { nil }
        let allowRemoteHalfClosure = configuration.allowRemoteHalfClosure
        // Child options are set here, synchronously: a `childChannelOption` costs a chain of futures per accept.
        return bootstrap.childChannelInitializer { channel in
            guard registry.register(channel) else {
                logger.notice("connection refused: too many open connections",
                              metadata: ["limit": "\(registry.maximumConnections ?? 0)", "listener": "\(configuration.address)"])
                refuse(channel)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            return channel.eventLoop.makeCompletedFuture {
                if allowRemoteHalfClosure {
                    try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                }
                if let implicitTLS {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: implicitTLS.context))
                }
                try accept(channel)
            }
        }
    }

    /// The bound listening channels (one per event loop with `socketPerEventLoop`).
    public var socketCount: Int { channels.withLockedValue { $0.count } }

    /// Stops accepting; established connections carry on.
    public func close() async {
        let open = channels.withLockedValue { channels in
            defer { channels = [] }
            return channels
        }
        for channel in open { try? await channel.close() }
    }
}

/// A listener could not bind: names the address.
public struct ListenerError: Error, CustomStringConvertible {
    public var address: Endpoint
    public var underlying: any Error

    public init(address: Endpoint, underlying: any Error) {
        self.address = address
        self.underlying = underlying
    }

    public var description: String { "cannot listen on \(address): \(underlying)" }
}
