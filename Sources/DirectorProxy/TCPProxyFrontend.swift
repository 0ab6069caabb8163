import Director
import Logging
import NIOCore
import NIOPosix
import ShoalCore

/// The first handler of an accepted client connection: learns the client (from the socket or a PROXY
/// header), asks the Director core for a server, connects (trying the next choice when one refuses),
/// then splices the two connections with `TCPProxyGlue` and steps aside.
final class TCPProxyFrontend: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingClient
        case connecting(attempt: Int)
        case spliced
        case closed
    }

    private let service: VirtualServiceKey
    private let virtual: Endpoint
    private let scheduler: any ConnectionScheduler
    private let settings: ProxySettings
    private let logger: Logger
    private var state = State.awaitingClient
    private var client: Endpoint?
    private var buffered: [ByteBuffer] = []
    private var bufferedBytes = 0
    private var refused: Set<Endpoint> = []
    private var readPending = false

    init(service: VirtualServiceKey, virtual: Endpoint, scheduler: any ConnectionScheduler, settings: ProxySettings, logger: Logger) {
        self.service = service
        self.virtual = virtual
        self.scheduler = scheduler
        self.settings = settings
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        guard !settings.acceptProxyProtocol else { return }
        guard let remote = context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:)) else {
            context.close(promise: nil)
            return
        }
        client = remote
        connect(context: context, attempt: 1)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let received = event as? ProxyProtocolReceived, case .awaitingClient = state {
            client = received.header.source ?? context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:))
            guard client != nil else {
                context.close(promise: nil)
                return
            }
            connect(context: context, attempt: 1)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffered.append(buffer)
        bufferedBytes += buffer.readableBytes
    }

    func read(context: ChannelHandlerContext) {
        // Before a server is connected, read only what it takes to learn the client (a PROXY header)
        // and a little early data; the rest waits in the socket.
        if case .awaitingClient = state, settings.acceptProxyProtocol {
            context.read()
        } else if bufferedBytes < 64 * 1024, case .connecting = state {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Connecting

    private func connect(context: ChannelHandlerContext, attempt: Int) {
        guard let client else { return }
        let request = ConnectionRequest(proto: .tcp, client: client, virtual: virtual)
        guard let lease = scheduler.schedule(request, excluding: refused) else {
            logger.notice("no real server available", metadata: ["service": "\(service)", "client": "\(client)"])
            context.close(promise: nil)
            return
        }
        state = .connecting(attempt: attempt)
        if readPending, bufferedBytes < 64 * 1024 {
            readPending = false
            context.read()
        }
        let header = settings.sendProxyProtocol.map { version in (version, ProxyProtocolHeader(source: client, destination: virtual)) }
        let bootstrap = ClientBootstrap(group: context.eventLoop)
            .connectTimeout(settings.connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        bootstrap.connect(to: lease.destination.socketAddress).hop(to: context.eventLoop).whenComplete { result in
            let (frontend, context) = bound.value
            frontend.connected(result, context: context, lease: lease, header: header, attempt: attempt)
        }
    }

    private func connected(_ result: Result<any Channel, any Error>, context: ChannelHandlerContext, lease: ProxyLease,
                           header: (ProxyProtocolVersion, ProxyProtocolHeader)?, attempt: Int) {
        switch result {
        case let .success(backend):
            self.splice(context: context, backend: backend, lease: lease, header: header)
        case let .failure(error):
            self.scheduler.abandon(lease)
            guard case .connecting = self.state else { return }
            self.logger.info("real server refused, trying the next choice", metadata: [
                "service": "\(self.service)", "server": "\(lease.destination)", "error": "\(error)",
            ])
            self.refused.insert(lease.destination)
            if attempt < self.settings.maxAttempts {
                self.connect(context: context, attempt: attempt + 1)
            } else {
                context.close(promise: nil)
            }
        }
    }

    private func splice(context: ChannelHandlerContext, backend: any Channel, lease: ProxyLease, header: (ProxyProtocolVersion, ProxyProtocolHeader)?) {
        guard case .connecting = state else {
            // The client left while we were connecting.
            backend.close(promise: nil)
            scheduler.abandon(lease)
            return
        }
        state = .spliced
        let meter = TrafficMeter(lease: lease, scheduler: scheduler)
        let boundMeter = NIOLoopBound(meter, eventLoop: context.eventLoop)
        context.channel.closeFuture.whenComplete { _ in boundMeter.value.finish() }
        let clientGlue = TCPProxyGlue(onRead: { meter.inbound($0) })
        let backendGlue = TCPProxyGlue(onRead: { meter.outbound($0) })
        TCPProxyGlue.pair(clientGlue, backendGlue)
        do {
            try backend.pipeline.syncOperations.addHandler(backendGlue)
            try context.pipeline.syncOperations.addHandler(clientGlue, position: .after(self))
        } catch {
            backend.close(promise: nil)
            context.close(promise: nil)
            return
        }
        if let (version, header) = header {
            var buffer = backend.allocator.buffer(capacity: 64)
            header.encode(version, into: &buffer)
            backend.write(buffer, promise: nil)
        }
        for buffer in buffered {
            meter.inbound(buffer.readableBytes)
            backend.write(buffer, promise: nil)
        }
        buffered = []
        backend.flush()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        context.leavePipeline(removalToken: removalToken)
        if readPending { context.read() }
    }
}

/// Counts a spliced connection's bytes and reports them to the Director core in batches.
final class TrafficMeter {
    private let lease: ProxyLease
    private let scheduler: any ConnectionScheduler
    private var inBytes: UInt64 = 0
    private var outBytes: UInt64 = 0
    private var finished = false

    init(lease: ProxyLease, scheduler: any ConnectionScheduler) {
        self.lease = lease
        self.scheduler = scheduler
    }

    func inbound(_ count: Int) {
        inBytes &+= UInt64(count)
        reportIfLarge()
    }

    func outbound(_ count: Int) {
        outBytes &+= UInt64(count)
        reportIfLarge()
    }

    private func reportIfLarge() {
        if inBytes + outBytes >= 256 * 1024 { report() }
    }

    private func report() {
        guard inBytes + outBytes > 0 else { return }
        scheduler.traffic(lease, inBytes: inBytes, outBytes: outBytes)
        inBytes = 0
        outBytes = 0
    }

    /// The client connection closed: last counts, then the close.
    func finish() {
        guard !finished else { return }
        finished = true
        report()
        scheduler.closed(lease)
    }
}
