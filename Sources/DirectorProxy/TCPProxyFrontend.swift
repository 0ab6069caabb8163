import Director
import Logging
import NIOCore
import NIOPosix
import ShoalCore
import ShoalServer

/// The one handler of an accepted client connection: learns the client (from the socket or a PROXY
/// header), asks the Director core for a server, connects (trying the next choice when one refuses),
/// then splices the two connections: the server side gets a `TCPProxyGlue` handler, and the client side's
/// glue is embedded here (its events are passed to it), so the client's pipeline never changes.
/// The connection's idle timer and traffic meter end in `channelInactive` (no close-future callbacks).
final class TCPProxyFrontend: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingClient
        case connecting(attempt: Int)
        case spliced
        case closed
    }

    /// What every connection of the listener shares (one reference per connection instead of copies).
    private let shared: TCPProxyService
    private var service: VirtualServiceKey { shared.service }
    private var virtual: Endpoint { shared.virtual }
    private var scheduler: any ConnectionScheduler { shared.scheduler }
    private var settings: ProxySettings { shared.settings }
    private var logger: Logger { shared.logger }
    private var connector: BackendConnector { shared.connector }
    private var state = State.awaitingClient
    private var client: Endpoint?
    private var buffered: [ByteBuffer] = []
    private var bufferedBytes = 0
    private var refused: Set<Endpoint> = []
    private var readPending = false
    /// The client half-closed before the server connection was up: pass it on once spliced.
    private var clientInputClosed = false
    /// Counts traffic and the time of the last read on either side (the idle timer reads it).
    private let meter: TrafficMeter
    /// The client side of the splice, once the server is connected.
    private var glue: TCPProxyGlue?

    init(shared: TCPProxyService) {
        self.shared = shared
        self.meter = TrafficMeter(scheduler: shared.scheduler)
    }

    convenience init(service: VirtualServiceKey, virtual: Endpoint, scheduler: any ConnectionScheduler, settings: ProxySettings,
                     logger: Logger, connector: BackendConnector = .sockets) {
        self.init(shared: TCPProxyService(service: service, virtual: virtual, scheduler: scheduler, settings: settings, logger: logger,
                                          connector: connector))
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let channel = context.channel
        let timer = IdleTimer(eventLoop: context.eventLoop) { channel.close(promise: nil) }
        meter.idleTimer = timer
        timer.arm(timeout: settings.idleTimeout)
        guard !settings.acceptProxyProtocol else { return }
        guard let remote = context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:)) else {
            context.close(promise: nil)
            return
        }
        client = remote
        connect(context: context, attempt: 1)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let glue {
            glue.userInboundEventTriggered(context: context, event: event)
        } else if let received = event as? ProxyProtocolReceived, case .awaitingClient = state {
            client = received.header.source ?? context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:))
            guard client != nil else {
                context.close(promise: nil)
                return
            }
            connect(context: context, attempt: 1)
        } else if let event = event as? ChannelEvent, case .inputClosed = event {
            clientInputClosed = true
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let glue { return glue.channelRead(context: context, data: data) }
        let buffer = unwrapInboundIn(data)
        meter.touch()
        buffered.append(buffer)
        bufferedBytes += buffer.readableBytes
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let glue { return glue.channelReadComplete(context: context) }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let glue { return glue.channelWritabilityChanged(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let glue { return glue.read(context: context) }
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
        meter.idleTimer?.cancel()
        meter.idleTimer = nil
        meter.finish()
        if let glue {
            glue.channelInactive(context: context)
        } else {
            context.fireChannelInactive()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        glue?.handlerRemoved(context: context)
        glue = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let glue { return glue.errorCaught(context: context, error: error) }
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
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let options = BackendConnector.Options(connectTimeout: settings.connectTimeout, allowRemoteHalfClosure: true)
        connector.connect(context.eventLoop, lease.destination, options) { _ in }.whenComplete { result in
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
        meter.lease = lease
        let clientGlue = TCPProxyGlue(meter: meter, fromClient: true)
        let backendGlue = TCPProxyGlue(meter: meter, fromClient: false)
        TCPProxyGlue.pair(clientGlue, backendGlue)
        do {
            try backend.pipeline.syncOperations.addHandler(backendGlue)
        } catch {
            backend.close(promise: nil)
            context.close(promise: nil)
            return
        }
        clientGlue.attach(context)
        glue = clientGlue
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
        if clientInputClosed { clientGlue.inputWasClosed() }
        if readPending {
            readPending = false
            clientGlue.read(context: context)
        }
    }
}

/// What the connections of one TCP proxy listener share: the service, its settings (a new one when they change)
/// and where to schedule and connect.
final class TCPProxyService: Sendable {
    let service: VirtualServiceKey
    let virtual: Endpoint
    let scheduler: any ConnectionScheduler
    let settings: ProxySettings
    let logger: Logger
    let connector: BackendConnector

    init(service: VirtualServiceKey, virtual: Endpoint, scheduler: any ConnectionScheduler, settings: ProxySettings, logger: Logger,
         connector: BackendConnector = .sockets) {
        self.service = service
        self.virtual = virtual
        self.scheduler = scheduler
        self.settings = settings
        self.logger = logger
        self.connector = connector
    }
}

/// Closes `channel` once nothing was read on either side for `timeout` (the meter notes every read); the
/// timer is cancelled when the channel closes, so a closed connection is freed at once, not at the timeout.
func watchIdleness(_ channel: any Channel, meter: TrafficMeter, timeout: TimeAmount) {
    let timer = IdleTimer(eventLoop: channel.eventLoop) { channel.close(promise: nil) }
    meter.idleTimer = timer
    timer.arm(timeout: timeout)
    let bound = NIOLoopBound(timer, eventLoop: channel.eventLoop)
    channel.closeFuture.whenComplete { _ in bound.value.cancel() }
}

/// Counts a spliced connection's bytes, reports them to the Director core in batches, and remembers
/// when the connection last carried data.
final class TrafficMeter: TCPProxyTrafficMeter {
    /// The lease, once a server is connected.
    var lease: ProxyLease?
    private let scheduler: any ConnectionScheduler
    private var batch = TrafficBatch()
    private var finished = false
    /// The connection's idle timer, told of every read.
    var idleTimer: IdleTimer?

    init(scheduler: any ConnectionScheduler) {
        self.scheduler = scheduler
    }

    func touch() { idleTimer?.touch() }

    func inbound(_ count: Int) {
        idleTimer?.touch()
        if batch.add(inbound: UInt64(count), outbound: 0) { report() }
    }

    func outbound(_ count: Int) {
        idleTimer?.touch()
        if batch.add(inbound: 0, outbound: UInt64(count)) { report() }
    }

    private func report() {
        guard let lease else { return }
        batch.report(lease, to: scheduler)
    }

    /// The client connection closed: last counts, then the close.
    func finish() {
        guard !finished, let lease else { return }
        finished = true
        report()
        scheduler.closed(lease)
    }
}
