public import NIOCore
import NIOPosix
public import ShoalCore

/// How the proxy opens a connection to a real server: a socket in production; tests substitute channels
/// of their own (an `EmbeddedChannel` on the client's loop) to drive the proxy without a network.
public struct BackendConnector: Sendable {
    /// Connects to `destination` on `loop`, running `initialize` on the new channel before it is returned.
    public typealias Connect = @Sendable (_ loop: any EventLoop, _ destination: Endpoint, _ options: Options,
                                          _ initialize: @escaping @Sendable (any Channel) throws -> Void) -> EventLoopFuture<any Channel>

    /// What a proxy asks of the connection.
    public struct Options: Sendable, Hashable {
        public var connectTimeout: TimeAmount
        /// Keep writing to the server after it shut down its sending side (the L4 splice passes half-closes on).
        public var allowRemoteHalfClosure: Bool

        public init(connectTimeout: TimeAmount, allowRemoteHalfClosure: Bool) {
            self.connectTimeout = connectTimeout
            self.allowRemoteHalfClosure = allowRemoteHalfClosure
        }
    }

    /// Opens the connection (the mail director opens its own and splices with `ProxySplice`).
    public let connect: Connect

    public init(_ connect: @escaping Connect) {
        self.connect = connect
    }

    /// TCP sockets (ClientBootstrap; TCP_NODELAY on, as ClientBootstrap sets by default). Half-closure is set
    /// in the initializer, synchronously: each bootstrap option costs a chain of futures per connection.
    public static let sockets = BackendConnector { loop, destination, options, initialize in
        ClientBootstrap(group: loop)
            .connectTimeout(options.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if options.allowRemoteHalfClosure {
                        try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                    }
                    try initialize(channel)
                }
            }
            .connect(to: destination.socketAddress)
    }
}
