public import Logging
public import NIOCore
import NIOPosix
public import NIOSSL
public import ShoalCore

/// One SMTP or LMTP listening socket of a mail node.
public struct SMTPListenerConfiguration: Sendable {
    public var address: Endpoint
    public var session: SMTPSessionConfiguration
    /// How long a client may stay silent before 421.
    public var timeouts: SMTPTimeouts
    /// The STARTTLS certificate, when TLS is configured.
    public var tls: NIOSSLContext?

    public init(address: Endpoint, session: SMTPSessionConfiguration, timeouts: SMTPTimeouts = SMTPTimeouts(), tls: NIOSSLContext? = nil) {
        self.address = address
        self.session = session
        self.timeouts = timeouts
        self.tls = tls
    }
}

/// Client silence limits (RFC 5321 §4.5.3.2 asks for at least 5 minutes for commands, 3 for data blocks).
public struct SMTPTimeouts: Sendable, Hashable {
    public var command: TimeAmount
    public var data: TimeAmount
    public init(command: TimeAmount = .minutes(5), data: TimeAmount = .minutes(3)) {
        self.command = command
        self.data = data
    }
}

/// A bound SMTP/LMTP server: accepts connections and runs one `SMTPChannelHandler` per connection.
public final class SMTPListener: Sendable {
    public let configuration: SMTPListenerConfiguration
    public let channel: any Channel

    /// The address actually bound (useful with port 0).
    public var localAddress: SocketAddress? { channel.localAddress }

    /// Binds and starts accepting on `group`.
    public static func bind(_ configuration: SMTPListenerConfiguration, agent: any MailAgent, group: any EventLoopGroup,
                            logger: Logger = Logger(label: "shoal.smtp")) async throws -> SMTPListener {
        var session = configuration.session
        session.tlsAvailable = configuration.tls != nil
        let sessionConfiguration = session
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                    var connectionLogger = logger
                    connectionLogger[metadataKey: "peer"] = "\(peer)"
                    let handler = SMTPChannelHandler(
                        session: SMTPSession(configuration: sessionConfiguration, peer: peer, secure: false),
                        agent: agent, tls: configuration.tls, maximumLineLength: sessionConfiguration.maximumLineLength,
                        timeouts: configuration.timeouts, logger: connectionLogger)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let address = try SocketAddress(ipAddress: configuration.address.address.description, port: Int(configuration.address.port))
        let channel = try await bootstrap.bind(to: address).get()
        logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                                            "mode": "\(configuration.session.mode)"])
        return SMTPListener(configuration: configuration, channel: channel)
    }

    init(configuration: SMTPListenerConfiguration, channel: any Channel) {
        self.configuration = configuration
        self.channel = channel
    }

    /// Stops accepting; connections in progress finish on their own.
    public func close() async {
        try? await channel.close()
    }
}
