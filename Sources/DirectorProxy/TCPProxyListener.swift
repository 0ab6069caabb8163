public import Director
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif
public import ShoalCore

/// A listening socket on a virtual service address whose connections are scheduled by the Director
/// core and spliced to real servers. Settings can change while it runs (they apply to new connections).
public final class TCPProxyListener: Sendable {
    public let service: VirtualServiceKey
    public let listen: Endpoint
    private let scheduler: any ConnectionScheduler
    private let tracker: ProxyConnectionTracker
    private let logger: Logger
    private let currentSettings: NIOLockedValueBox<ProxySettings>
    private let currentHTTP = NIOLockedValueBox<HTTPSwitchingProxy?>(nil)
    private let channels = NIOLockedValueBox<[any Channel]>([])

    public init(service: VirtualServiceKey, listen: Endpoint, settings: ProxySettings, scheduler: any ConnectionScheduler,
                tracker: ProxyConnectionTracker, logger: Logger) {
        self.service = service
        self.listen = listen
        self.scheduler = scheduler
        self.tracker = tracker
        self.logger = logger
        self.currentSettings = NIOLockedValueBox(settings)
    }

    /// The settings new connections get.
    public var settings: ProxySettings {
        get { currentSettings.withLockedValue { $0 } }
        set { currentSettings.withLockedValue { $0 = newValue } }
    }

    /// HTTP content switching for new connections, or nil to splice bytes (L4).
    public var http: HTTPServiceConfig? {
        get { currentHTTP.withLockedValue { $0?.config } }
        set {
            let settings = self.settings
            let proxy = newValue.map {
                HTTPSwitchingProxy(config: $0, scheduler: scheduler, virtual: listen, connectTimeout: settings.connectTimeout,
                                   idleTimeout: settings.idleTimeout, outgoingProxyProtocol: settings.sendProxyProtocol,
                                   maximumAttempts: settings.maxAttempts, logger: logger)
            }
            currentHTTP.withLockedValue { $0 = proxy }
        }
    }

    /// The address actually bound (useful with port 0).
    public var localAddress: SocketAddress? { channels.withLockedValue { $0.first?.localAddress } }

    /// Binds one listening socket per event loop (SO_REUSEPORT: the kernel spreads new connections over
    /// them, and each connection and its server connection stay on the loop that accepted it).
    public func start(group: any EventLoopGroup) async throws {
        var bound: [any Channel] = []
        var address = listen.socketAddress
        do {
            for loop in group.makeIterator() {
                let channel = try await bind(loop, address)
                if bound.isEmpty, let local = channel.localAddress { address = local }
                bound.append(channel)
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw error
        }
        channels.withLockedValue { $0 = bound }
        logger.info("listening", metadata: ["service": "\(service)", "address": "\(listen)", "sockets": "\(bound.count)"])
    }

    private func bind(_ loop: any EventLoop, _ address: SocketAddress) async throws -> any Channel {
        let service = self.service, listen = self.listen, scheduler = self.scheduler
        let tracker = self.tracker, logger = self.logger, currentSettings = self.currentSettings
        let currentHTTP = self.currentHTTP
        return try await ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                let settings = currentSettings.withLockedValue { $0 }
                let http = currentHTTP.withLockedValue { $0 }
                tracker.track(child)
                do {
                    let ops = child.pipeline.syncOperations
                    if settings.acceptProxyProtocol {
                        try ops.addHandler(ProxyProtocolReceiver(onError: { error in
                            logger.info("bad PROXY header from the load balancer", metadata: ["error": "\(error)"])
                        }))
                    }
                    if let http {
                        try http.configure(child)
                        return child.eventLoop.makeSucceededVoidFuture()
                    }
                    try ops.addHandler(TCPProxyFrontend(service: service, virtual: listen, scheduler: scheduler,
                                                        settings: settings, logger: logger))
                    return child.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return child.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(to: address)
            .get()
    }

    /// Stops accepting; established connections carry on.
    public func stop() async {
        let open = channels.withLockedValue { c in defer { c = [] }; return c }
        for channel in open { try? await channel.close() }
    }
}
