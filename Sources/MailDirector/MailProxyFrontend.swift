import Director
import DirectorProxy
import MailAccess
import Logging
import NIOCore
import NIOSSL
import ShoalCore
import ShoalServer

/// The one handler of a client connection to a mail proxy service: drives the pure pre-authentication session
/// (lines or literal octets, capped; the command timeout; STARTTLS), and for a login asks the Director core
/// for the user's node (the user name keyed into the hash scheduler), replays the login there, and once the
/// node accepted splices the two connections: the client side's `TCPProxyGlue` is embedded here and the node
/// side's in its `MailBackendLoginHandler`, so neither pipeline changes. Input that arrives while a login is
/// replayed is held (up to 64 KiB, then reading stops) and passed to the node after the splice. One idle
/// timer serves the whole connection (the command timeout, then the login timeout, then the idle timeout
/// after the splice), and the close ends it, the traffic meter and the session count in `channelInactive`.
final class MailProxyFrontend: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: any MailProxySession
    /// What every connection of the listener shares.
    private let service: MailProxyService
    private var settings: MailProxySettings { service.settings }
    private var virtual: Endpoint { service.virtual }
    private var scheduler: any ConnectionScheduler { service.scheduler }
    private var connector: BackendConnector { service.connector }
    private var statistics: MailProxyStatistics { service.statistics }
    private var logger: Logger { service.logger }
    private var input: MailClientInput
    private var timer: IdleTimer?
    private var client: Endpoint?
    private var readPending = false
    private var unflushed = false
    /// The client half-closed while its login was replayed: passed on once spliced.
    private var clientInputClosed = false
    /// The node connection of the login being replayed, once it exists (the login timeout closes it).
    private var routingBackend: (any Channel)?
    /// Set when the splice is done: the client side of it (every event goes there), and its meter.
    private var glue: TCPProxyGlue?
    private var meter: TrafficMeter?
    private var spliced: Bool { glue != nil }

    init(service: MailProxyService) {
        self.service = service
        self.session = service.session
        self.input = MailClientInput(maximumLineLength: service.settings.maximumLineLength)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard timer == nil else { return }
        client = context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = IdleTimer(eventLoop: context.eventLoop) {
            let (handler, context) = bound.value
            handler.timedOut(context: context)
        }
        run(session.start(), context: context)
        flushIfNeeded(context: context)
        // One task, scheduled now for the shorter of the command and login timeouts, serves both: arming the
        // longer one keeps it (it wakes early and re-arms), and a login armed later finds it early enough.
        timer?.arm(timeout: min(settings.commandTimeout, settings.loginTimeout))
        timer?.arm(timeout: settings.commandTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        glue?.handlerRemoved(context: context)
        glue = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let glue { return glue.channelRead(context: context, data: data) }
        var incoming = unwrapInboundIn(data)
        input.append(&incoming)
        timer?.touch()
        process(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let glue { return glue.channelReadComplete(context: context) }
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let glue { return glue.channelWritabilityChanged(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let glue { return glue.read(context: context) }
        // Hold reading while a login is replayed and a lot is buffered already.
        if session.isRouting && input.bufferedBytes >= 64 * 1024 {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if let glue, let meter, let node = meter.lease?.destination {
            meter.finish()
            statistics.sessionEnded(at: node)
            glue.channelInactive(context: context)
            return
        }
        _ = session.receive(.eof)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let glue { return glue.userInboundEventTriggered(context: context, event: event) }
        // The director is draining: a client that has not logged in yet is let go (a login under way finishes).
        if event is ChannelShouldQuiesceEvent {
            if !session.isRouting { context.close(promise: nil) }
            return
        }
        if let event = event as? ChannelEvent, case .inputClosed = event {
            // The client sends no more: a login under way is passed on (then the half-close); otherwise
            // everything it sent was answered.
            if session.isRouting {
                clientInputClosed = true
            } else {
                flushIfNeeded(context: context)
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let glue { return glue.errorCaught(context: context, error: error) }
        logger.debug("mail proxy client error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// The connection's one timer came due: the command timeout before login, the login timeout while a
    /// login is replayed (the node connection is closed, so the login ends as unavailable; a connect still
    /// under way has its own timeout), the idle timeout once spliced.
    private func timedOut(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        if spliced {
            context.close(promise: nil)
        } else if session.isRouting {
            if let routingBackend {
                routingBackend.close(promise: nil)
            } else {
                timer?.arm(timeout: settings.loginTimeout)
            }
        } else {
            feed(.timeout, context: context)
        }
    }

    /// Feeds every complete line or literal chunk to the session until it routes, closes or input runs out.
    private func process(context: ChannelHandlerContext) {
        while !session.isRouting, !session.isClosed, let event = input.next(for: session) {
            run(session.receive(event), context: context)
        }
        flushIfNeeded(context: context)
    }

    private func feed(_ event: MailProxyEvent, context: ChannelHandlerContext) {
        guard !spliced, context.channel.isActive else { return }
        run(session.receive(event), context: context)
        flushIfNeeded(context: context)
        if !session.isRouting && !session.isClosed {
            if clientInputClosed {
                context.close(promise: nil)
                return
            }
            timer?.arm(timeout: settings.commandTimeout)
            process(context: context)
            // Reading was held while the login was out with a full buffer: carry on.
            if readPending && !session.isRouting {
                readPending = false
                context.read()
            }
        }
    }

    private func run(_ actions: [MailProxyAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case let .send(text):
                var out = context.channel.allocator.buffer(capacity: text.utf8.count)
                out.writeString(text)
                context.write(wrapOutboundOut(out), promise: nil)
                unflushed = true
            case let .route(login):
                timer?.arm(timeout: settings.loginTimeout)
                route(login, context: context)
            case .startTLS:
                startTLS(context: context)
            case .splice:
                break  // done by `routed`, which holds the node's channel
            case .close:
                flushIfNeeded(context: context)
                context.close(promise: nil)
            }
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }

    /// RFC 3207/2595: input pipelined after STARTTLS is dropped; then the TLS handler goes first.
    private func startTLS(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        input.reset()
        guard let tls = settings.tls else {
            context.close(promise: nil)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context), position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        run(session.receive(.tlsStarted), context: context)
    }

    // MARK: Routing

    private func route(_ login: MailLogin, context: ChannelHandlerContext) {
        guard let client else {
            context.close(promise: nil)
            return
        }
        guard let authenticator = settings.authenticator else {
            attempt(login, affinity: login.user, client: client, refused: [], attempt: 1, context: context)
            return
        }
        // Checked here first: a bad login is refused (after the directory's failed-login delay for this
        // address, as a node would) without reaching a node; a good one is keyed by the directory's name for
        // the user, so that logins by an alias land on the same node.
        let peer = ClientAddressNote.peer(of: context.channel)
        let promise = context.eventLoop.makePromise(of: MailAuthenticator.Outcome.self)
        promise.completeWithTask { await authenticator.authenticate(login: login.user, password: login.password, peer: peer) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { outcome in
            let (frontend, context) = bound.value
            guard context.channel.isActive else { return }
            switch outcome {
            case let .success(user):
                frontend.attempt(login, affinity: user.login, client: client, refused: [], attempt: 1, context: context)
            case .failure:
                frontend.statistics.refused()
                frontend.logger.info("login refused by the directory", metadata: ["user": "\(login.user)", "client": "\(client)"])
                frontend.feed(.routed(.refused(frontend.settings.proto.refusedLoginText)), context: context)
            case .temporaryFailure:
                frontend.statistics.unavailable()
                frontend.feed(.routed(.unavailable), context: context)
            }
        }
    }

    /// Connects to the user's node and replays the login there; the node connection's handler reports the
    /// outcome to `routed` (a connection that could not be made is reported by the connect's failure instead).
    private func attempt(_ login: MailLogin, affinity: String, client: Endpoint, refused: Set<Endpoint>, attempt: Int,
                         context: ChannelHandlerContext) {
        let request = ConnectionRequest(proto: .tcp, client: client, virtual: virtual, affinityKey: UserAffinityKey.key(affinity))
        guard let lease = scheduler.schedule(request, excluding: refused) else {
            logger.notice("no mail node available", metadata: ["user": "\(login.user)", "client": "\(client)"])
            statistics.unavailable()
            feed(.routed(.unavailable), context: context)
            return
        }
        let conversation = session.backendLogin(login)
        let header = settings.proxy.sendProxyProtocol.map { ($0, ProxyProtocolHeader(source: client, destination: virtual)) }
        let options = BackendConnector.Options(connectTimeout: settings.proxy.connectTimeout, allowRemoteHalfClosure: true)
        let nodeTLS = settings.nodeTLS
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let connected = connector.connect(context.eventLoop, lease.destination, options) { channel in
            if let (version, header) = header {
                channel.writeAndFlush(header.encoded(version), promise: nil)
            }
            // After the PROXY header (already on its way), before the login conversation.
            if let nodeTLS {
                try channel.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: nodeTLS.context, serverHostname: nodeTLS.serverName))
            }
            let handler = MailBackendLoginHandler(conversation: conversation) { outcome, handler, backend in
                let (frontend, context) = bound.value
                frontend.routed(outcome, login: login, backend: (handler, backend), lease: lease, context: context)
            }
            try channel.pipeline.syncOperations.addHandler(handler)
            bound.value.0.routingBackend = channel
        }
        connected.whenFailure { error in
            let (frontend, context) = bound.value
            frontend.routingBackend = nil
            frontend.scheduler.abandon(lease)
            frontend.logger.info("mail node refused the connection, trying the next choice", metadata: [
                "node": "\(lease.destination)", "error": "\(error)",
            ])
            guard context.channel.isActive else { return }
            if attempt < frontend.settings.proxy.maxAttempts {
                frontend.attempt(login, affinity: affinity, client: client, refused: refused.union([lease.destination]),
                                  attempt: attempt + 1, context: context)
            } else {
                frontend.statistics.unavailable()
                frontend.feed(.routed(.unavailable), context: context)
            }
        }
    }

    /// The login's outcome, from the node connection's handler (`backend`: it and its context).
    private func routed(_ outcome: MailBackendOutcome, login: MailLogin, backend: (MailBackendLoginHandler, ChannelHandlerContext),
                        lease: ProxyLease, context: ChannelHandlerContext) {
        routingBackend = nil
        guard context.channel.isActive else {
            backend.1.close(promise: nil)
            scheduler.abandon(lease)
            return
        }
        switch outcome.result {
        case .refused, .unavailable:
            backend.1.close(promise: nil)
            scheduler.abandon(lease)
            if case .refused = outcome.result { statistics.refused() } else { statistics.unavailable() }
            logger.info("login not accepted by the mail node", metadata: [
                "user": "\(login.user)", "node": "\(lease.destination)", "result": "\(outcome.result)",
            ])
            feed(.routed(outcome.result), context: context)
        case .accepted:
            splice(outcome, backend: backend, lease: lease, login: login, context: context)
        }
    }

    /// The node accepted: its answer goes to the client, then the two glues are paired and take over; what
    /// the client sent meanwhile goes to the node.
    private func splice(_ outcome: MailBackendOutcome, backend: (MailBackendLoginHandler, ChannelHandlerContext), lease: ProxyLease,
                        login: MailLogin, context: ChannelHandlerContext) {
        let (handler, backendContext) = backend
        run(session.receive(.routed(outcome.result)), context: context)
        if let leftover = outcome.leftover {
            context.write(wrapOutboundOut(leftover), promise: nil)
        }
        flushIfNeeded(context: context)
        let meter = TrafficMeter(scheduler: scheduler)
        meter.lease = lease
        meter.idleTimer = timer
        let clientGlue = TCPProxyGlue(meter: meter, fromClient: true)
        let backendGlue = TCPProxyGlue(meter: meter, fromClient: false)
        TCPProxyGlue.pair(clientGlue, backendGlue)
        handler.splice(backendGlue, context: backendContext)
        clientGlue.attach(context)
        self.meter = meter
        glue = clientGlue
        timer?.arm(timeout: settings.proxy.idleTimeout)
        statistics.proxied(to: lease.destination)
        logger.debug("mail session spliced", metadata: ["user": "\(login.user)", "node": "\(lease.destination)"])
        if let pending = input.takeBuffered(), pending.readableBytes > 0 {
            meter.inbound(pending.readableBytes)
            backendContext.writeAndFlush(NIOAny(pending), promise: nil)
        }
        if clientInputClosed { clientGlue.inputWasClosed() }
        if readPending {
            readPending = false
            clientGlue.read(context: context)
        }
    }
}
