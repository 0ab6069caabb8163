public import Director
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
public import ShoalCore
import ShoalServer

/// A UDP virtual service: each client endpoint is a flow bound to one real server (chosen by the
/// Director core) until no datagram has passed either way for the udp timeout.
public final class UDPProxyListener: Sendable {
    public let service: VirtualServiceKey
    public let listen: Endpoint
    private let scheduler: any ConnectionScheduler
    private let logger: Logger
    private let currentSettings: NIOLockedValueBox<ProxySettings>
    private let listener = NIOLockedValueBox<DatagramListener?>(nil)

    public init(service: VirtualServiceKey, listen: Endpoint, settings: ProxySettings, scheduler: any ConnectionScheduler, logger: Logger) {
        self.service = service
        self.listen = listen
        self.scheduler = scheduler
        self.logger = logger
        self.currentSettings = NIOLockedValueBox(settings)
    }

    /// The settings new flows get.
    public var settings: ProxySettings {
        get { currentSettings.withLockedValue { $0 } }
        set { currentSettings.withLockedValue { $0 = newValue } }
    }

    /// The address actually bound.
    public var boundAddress: Endpoint? { listener.withLockedValue { $0?.boundAddress } }

    /// Binds the socket and starts relaying.
    public func start(group: any EventLoopGroup) async throws {
        let handler: @Sendable () -> UDPProxyHandler = { [listen, scheduler, logger, currentSettings] in
            UDPProxyHandler(virtual: listen, scheduler: scheduler, settings: currentSettings, logger: logger)
        }
        let bound = try await DatagramListener.bind(listen, group: group, logger: logger) { channel in
            try channel.pipeline.syncOperations.addHandler(handler())
        }
        listener.withLockedValue { $0 = bound }
        logger.info("listening", metadata: ["service": "\(service)", "address": "\(listen)", "protocol": "udp"])
    }

    /// Stops relaying and forgets every flow.
    public func stop() async {
        await listener.withLockedValue { listener in defer { listener = nil }; return listener }?.close()
    }
}

/// The listening socket's handler: finds or creates the client's flow and relays both ways.
final class UDPProxyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// One client's flow: its lease and its connected socket towards the real server.
    final class Flow {
        let lease: ProxyLease
        var backend: (any Channel)?
        var queued: [ByteBuffer] = []
        var lastSeen: NIODeadline
        var inBytes: UInt64 = 0
        var outBytes: UInt64 = 0

        init(lease: ProxyLease, now: NIODeadline) {
            self.lease = lease
            self.lastSeen = now
        }
    }

    private let virtual: Endpoint
    private let scheduler: any ConnectionScheduler
    private let settings: NIOLockedValueBox<ProxySettings>
    private let logger: Logger
    private var flows: [SocketAddress: Flow] = [:]
    private var sweeper: RepeatedTask?

    init(virtual: Endpoint, scheduler: any ConnectionScheduler, settings: NIOLockedValueBox<ProxySettings>, logger: Logger) {
        self.virtual = virtual
        self.scheduler = scheduler
        self.settings = settings
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        sweeper = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            let (handler, context) = bound.value
            handler.expireIdleFlows(context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweeper?.cancel()
        for (address, _) in flows { endFlow(address) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let now = NIODeadline.now()
        if let flow = flows[envelope.remoteAddress] {
            flow.lastSeen = now
            flow.inBytes &+= UInt64(envelope.data.readableBytes)
            if let backend = flow.backend {
                backend.writeAndFlush(envelope.data, promise: nil)
            } else if flow.queued.count < 64 {
                flow.queued.append(envelope.data)
            }
            return
        }
        guard let client = Endpoint(socketAddress: envelope.remoteAddress),
              let lease = scheduler.schedule(ConnectionRequest(proto: .udp, client: client, virtual: virtual), excluding: [])
        else { return }
        let flow = Flow(lease: lease, now: now)
        flow.inBytes = UInt64(envelope.data.readableBytes)
        flow.queued.append(envelope.data)
        flows[envelope.remoteAddress] = flow
        openBackend(context: context, flow: flow, client: envelope.remoteAddress)
    }

    private func openBackend(context: ChannelHandlerContext, flow: Flow, client: SocketAddress) {
        let bound = NIOLoopBound((self, context, flow), eventLoop: context.eventLoop)
        let reply = NIOLoopBound(UDPReplyRelay(onReply: { [weak self] data in
            guard let self, let flow = self.flows[client] else { return }
            flow.lastSeen = .now()
            flow.outBytes &+= UInt64(data.readableBytes)
            context.writeAndFlush(self.wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: data)), promise: nil)
        }), eventLoop: context.eventLoop)
        DatagramBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reply.value) }
            }
            .connect(to: flow.lease.destination.socketAddress)
            .whenComplete { result in
                let (handler, _, flow) = bound.value
                switch result {
                case let .success(backend):
                    guard handler.flows[client] === flow else {
                        backend.close(promise: nil)
                        return
                    }
                    flow.backend = backend
                    for datagram in flow.queued { backend.write(datagram, promise: nil) }
                    flow.queued = []
                    backend.flush()
                case let .failure(error):
                    handler.logger.info("cannot reach real server", metadata: ["server": "\(flow.lease.destination)", "error": "\(error)"])
                    handler.flows[client] = nil
                    handler.scheduler.abandon(flow.lease)
                }
            }
    }

    private func expireIdleFlows(context: ChannelHandlerContext) {
        let timeout = settings.withLockedValue { $0.udpTimeout }
        let now = NIODeadline.now()
        for (address, flow) in flows {
            if flow.inBytes + flow.outBytes > 0 {
                scheduler.traffic(flow.lease, inBytes: flow.inBytes, outBytes: flow.outBytes)
                flow.inBytes = 0
                flow.outBytes = 0
            }
            if now - flow.lastSeen >= timeout { endFlow(address) }
        }
    }

    private func endFlow(_ address: SocketAddress) {
        guard let flow = flows.removeValue(forKey: address) else { return }
        flow.backend?.close(promise: nil)
        if flow.inBytes + flow.outBytes > 0 {
            scheduler.traffic(flow.lease, inBytes: flow.inBytes, outBytes: flow.outBytes)
        }
        scheduler.closed(flow.lease)
    }
}

/// The handler of a flow's socket towards the real server: hands replies to the listening side.
final class UDPReplyRelay: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let onReply: (ByteBuffer) -> Void

    init(onReply: @escaping (ByteBuffer) -> Void) { self.onReply = onReply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onReply(unwrapInboundIn(data).data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from the real server surfaces here; the flow just waits to expire.
    }
}
