public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
public import ShoalCore

/// A bound UDP socket of a server (the director's UDP services, ICP on a cache node): one channel whose
/// pipeline the protocol sets up; closed on stop.
public final class DatagramListener: Sendable {
    /// The address actually bound (the real port when asked for port 0).
    public let boundAddress: Endpoint
    private let channel: NIOLockedValueBox<(any Channel)?>

    init(boundAddress: Endpoint, channel: any Channel) {
        self.boundAddress = boundAddress
        self.channel = NIOLockedValueBox(channel)
    }

    /// Binds `address` and runs `initialize` on the new channel (on its event loop).
    public static func bind(_ address: Endpoint, group: any EventLoopGroup, logger: Logger,
                            initialize: @escaping @Sendable (any Channel) throws -> Void) async throws -> DatagramListener {
        do {
            let channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try initialize(channel) } }
                .bind(to: address.socketAddress)
                .get()
            let bound = channel.localAddress.flatMap { Endpoint(socketAddress: $0) } ?? address
            return DatagramListener(boundAddress: bound, channel: channel)
        } catch {
            throw ListenerError(address: address, underlying: error)
        }
    }

    /// Closes the socket.
    public func close() async {
        try? await channel.withLockedValue { channel in defer { channel = nil }; return channel }?.close()
    }
}
