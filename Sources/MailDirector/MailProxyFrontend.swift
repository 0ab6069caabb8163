import Director
import DirectorProxy
import MailAccess
import Logging
import NIOCore
import NIOSSL
import ShoalCore
import ShoalServer

/// The handler of a client connection to a mail proxy service: drives the pure pre-authentication session
/// (lines or literal octets, capped; the command timeout; STARTTLS), and for a login asks the Director core
/// for the user's node (the user name keyed into the hash scheduler), replays the login there, and once the
/// node accepted splices the two connections and leaves the pipeline. Input that arrives while a login is
/// replayed is held (up to 64 KiB, then reading stops) and passed to the node after the splice.
final class MailProxyFrontend: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: any MailProxySession
    private let settings: MailProxySettings
    private let virtual: Endpoint
    private let scheduler: any ConnectionScheduler
    private let connector: BackendConnector
    private let statistics: MailProxyStatistics
    private let logger: Logger
    private var decoder: CRLFLineDecoder
    private var buffer: ByteBuffer?
    private var timer: IdleTimer?
    private var client: Endpoint?
    private var readPending = false
    /// Set when the splice is done; later events are not the session's.
    private var spliced = false
    private var unflushed = false

    init(session: any MailProxySession, settings: MailProxySettings, virtual: Endpoint, scheduler: any ConnectionScheduler,
         connector: BackendConnector, statistics: MailProxyStatistics, logger: Logger) {
        self.session = session
        self.settings = settings
        self.virtual = virtual
        self.scheduler = scheduler
        self.connector = connector
        self.statistics = statistics
        self.logger = logger
        self.decoder = CRLFLineDecoder(maximumLineLength: settings.maximumLineLength)
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
            handler.feed(.timeout, context: context)
        }
        run(session.start(), context: context)
        flushIfNeeded(context: context)
        timer?.arm(timeout: settings.commandTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var pending = buffer.take() {
            pending.writeBuffer(&incoming)
            buffer = pending
        } else {
            buffer = incoming
        }
        timer?.touch()
        process(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        // Hold reading while a login is replayed and a lot is buffered already.
        if session.isRouting && (buffer?.readableBytes ?? 0) >= 64 * 1024 {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if !spliced { _ = session.receive(.eof) }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The director is draining: a client that has not logged in yet is let go (a login under way finishes).
        if event is ChannelShouldQuiesceEvent {
            if !session.isRouting && !spliced { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("mail proxy client error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Feeds every complete line or literal chunk to the session until it routes, closes or input runs out.
    private func process(context: ChannelHandlerContext) {
        while !session.isRouting, !session.isClosed, var input = buffer.take(), input.readableBytes > 0 {
            if case let .chunk(remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
            let item = decoder.decode(buffer: &input)
            buffer = input.readableBytes > 0 ? input : nil
            guard let item else { break }
            let event: MailProxyEvent
            switch item {
            case let .line(line): event = .line(line)
            case .tooLong: event = .lineTooLong
            case let .chunk(chunk): event = .chunk(chunk)
            }
            run(session.receive(event), context: context)
        }
        flushIfNeeded(context: context)
    }

    private func feed(_ event: MailProxyEvent, context: ChannelHandlerContext) {
        guard !spliced, context.channel.isActive else { return }
        run(session.receive(event), context: context)
        flushIfNeeded(context: context)
        if !session.isRouting && !session.isClosed {
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
                timer?.cancel()
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
        buffer = nil
        decoder = CRLFLineDecoder(maximumLineLength: settings.maximumLineLength)
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

    private func attempt(_ login: MailLogin, affinity: String, client: Endpoint, refused: Set<Endpoint>, attempt: Int,
                         context: ChannelHandlerContext) {
        let request = ConnectionRequest(proto: .tcp, client: client, virtual: virtual, affinityKey: UserAffinityKey.key(affinity))
        guard let lease = scheduler.schedule(request, excluding: refused) else {
            logger.notice("no mail node available", metadata: ["user": "\(login.user)", "client": "\(client)"])
            statistics.unavailable()
            feed(.routed(.unavailable), context: context)
            return
        }
        let promise = context.eventLoop.makePromise(of: MailBackendOutcome.self)
        let conversation = session.backendLogin(login)
        let timeout = settings.loginTimeout
        let header = settings.proxy.sendProxyProtocol.map { ($0, ProxyProtocolHeader(source: client, destination: virtual)) }
        let options = BackendConnector.Options(connectTimeout: settings.proxy.connectTimeout, allowRemoteHalfClosure: true)
        let nodeTLS = settings.nodeTLS
        let connected = connector.connect(context.eventLoop, lease.destination, options) { channel in
            if let (version, header) = header {
                channel.writeAndFlush(header.encoded(version), promise: nil)
            }
            // After the PROXY header (already on its way), before the login conversation.
            if let nodeTLS {
                try channel.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: nodeTLS.context, serverHostname: nodeTLS.serverName))
            }
            try channel.pipeline.syncOperations.addHandler(
                MailBackendLoginHandler(conversation: conversation, outcome: promise, timeout: timeout))
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        connected.whenComplete { result in
            let (frontend, context) = bound.value
            switch result {
            case let .failure(error):
                promise.fail(error)
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
            case let .success(backend):
                promise.futureResult.whenComplete { outcome in
                    let (frontend, context) = bound.value
                    let outcome = (try? outcome.get()) ?? MailBackendOutcome(result: .unavailable)
                    frontend.routed(outcome, login: login, backend: backend, lease: lease, context: context)
                }
            }
        }
    }

    private func routed(_ outcome: MailBackendOutcome, login: MailLogin, backend: any Channel, lease: ProxyLease,
                        context: ChannelHandlerContext) {
        guard context.channel.isActive else {
            backend.close(promise: nil)
            scheduler.abandon(lease)
            return
        }
        switch outcome.result {
        case .refused, .unavailable:
            backend.close(promise: nil)
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

    private func splice(_ outcome: MailBackendOutcome, backend: any Channel, lease: ProxyLease, login: MailLogin,
                        context: ChannelHandlerContext) {
        run(session.receive(.routed(outcome.result)), context: context)
        if let leftover = outcome.leftover {
            context.write(wrapOutboundOut(leftover), promise: nil)
        }
        flushIfNeeded(context: context)
        spliced = true
        timer?.cancel()
        do {
            if let handler = try? backend.pipeline.syncOperations.handler(type: MailBackendLoginHandler.self) {
                backend.pipeline.syncOperations.removeHandler(handler, promise: nil)
            }
            try ProxySplice.splice(client: context.channel, backend: backend, lease: lease, scheduler: scheduler,
                                   idleTimeout: settings.proxy.idleTimeout, clientBytes: buffer.take().map { [$0] } ?? [])
        } catch {
            backend.close(promise: nil)
            context.close(promise: nil)
            return
        }
        statistics.proxied(to: lease.destination)
        let statistics = self.statistics, node = lease.destination
        context.channel.closeFuture.whenComplete { _ in statistics.sessionEnded(at: node) }
        logger.debug("mail session spliced", metadata: ["user": "\(login.user)", "node": "\(node)"])
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        context.leavePipeline(removalToken: removalToken)
        if readPending { context.read() }
    }
}
