import Director
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOPosix
import ShoalCore
import ShoalServer

/// The client side of one HTTP connection through the content switch: routes each request, keeps or
/// opens the server connection, relays both ways with backpressure, and answers 503/502 itself.
final class HTTPSwitchingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// One request and its response.
    struct Exchange {
        var head: HTTPRequestHead
        var clientVersion: HTTPVersion
        var clientKeepAlive: Bool
        var serviceKey: VirtualServiceKey
        var request: ConnectionRequest
        var cookieToken: String?
        var cookieServer: Endpoint?
        var excluded: Set<Endpoint> = []
        var attempts = 0
        /// Parts read while the server connection is being set up.
        var pending: [HTTPClientRequestPart] = []
        var connecting = false
        var requestEnded = false
        var responseStarted = false
        var responseKeepAlive = true
        /// The server answered before the request was read to its end (e.g. without reading a body).
        var responseEnded = false
        /// An answer of the proxy's own, sent once the request has been read to its end.
        var errorStatus: HTTPResponseStatus?
        /// The protocols the client asked to upgrade to (forwarded to the server).
        var upgrade: [String]?
        /// The server answered 101: once its end is written the connection becomes a byte splice.
        var switching = false
    }

    private let proxy: HTTPSwitchingProxy
    private var context: ChannelHandlerContext?
    private var client: Endpoint?
    private var backend: HTTPBackendLink?
    private var exchange: Exchange?
    private var readPending = false
    private var lastResponseEnd: EventLoopFuture<Void>?
    private var inputClosed = false
    private var isClosed = false
    /// Bumped whenever a connect attempt becomes stale.
    private var generation = 0
    /// The connection was handed to a byte splice after an upgrade: the server link is no longer ours.
    private var spliced = false

    init(proxy: HTTPSwitchingProxy) {
        self.proxy = proxy
    }

    private var scheduler: any ConnectionScheduler { proxy.scheduler }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if client == nil { client = context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:)) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutdown()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if client == nil { client = context.channel.remoteAddress.flatMap(Endpoint.init(socketAddress:)) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutdown()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let received as ProxyProtocolReceived:
            if let source = received.header.source { client = source }
        case ChannelEvent.inputClosed:
            inputClosed = true
            if exchange == nil { context.close(promise: nil) }
        case is IdleTimeoutHandler.Event:
            proxy.logger.debug("closing an idle HTTP connection", metadata: ["client": "\(client.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Parse errors were answered with 400 by NIO's HTTPServerProtocolErrorHandler; all errors end the connection.
        proxy.logger.debug("HTTP client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { backend?.handler?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if canReadClient {
            context.read()
        } else {
            readPending = true
        }
    }

    /// Reading from the client is held back while a server connection is being set up or cannot take more.
    private var canReadClient: Bool {
        guard let exchange, !exchange.requestEnded, exchange.errorStatus == nil else { return true }
        if exchange.connecting { return false }
        return backend?.channel.isWritable ?? true
    }

    private func resumeClientReading() {
        guard readPending, canReadClient, let context else { return }
        readPending = false
        context.read()
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            requestHead(head, context: context)
        case let .body(body):
            guard var ex = exchange, !ex.requestEnded else { return }
            if ex.errorStatus != nil { return }
            if ex.connecting {
                ex.pending.append(.body(.byteBuffer(body)))
                exchange = ex
            } else if let backend {
                backend.inBytes &+= UInt64(body.readableBytes)
                backend.handler?.send(.body(.byteBuffer(body)))
            }
        case let .end(trailers):
            guard var ex = exchange, !ex.requestEnded else { return }
            ex.requestEnded = true
            exchange = ex
            if let status = ex.errorStatus {
                respond(status, context: context)
            } else if ex.responseEnded {
                backend?.handler?.send(.end(trailers))
                backend?.handler?.flush()
                finishAfterResponse(ex, context: context)
            } else if ex.connecting {
                exchange!.pending.append(.end(trailers))
            } else if let backend {
                backend.handler?.send(.end(trailers))
                backend.handler?.flush()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        backend?.handler?.flush()
        context.fireChannelReadComplete()
    }

    private func requestHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard exchange == nil else {
            // NIO's pipeline handler delivers one request at a time; anything else is a bug: give up.
            context.close(promise: nil)
            return
        }
        let facts = HTTPRequestFacts(head)
        let route = proxy.config.route(facts)
        let key = route.serviceKey(virtual: proxy.virtual)
        let clientEndpoint = client ?? Endpoint(.v4(0), 0)

        var forwarded = head
        forwarded.version = .http1_1
        HTTPHopByHop.strip(&forwarded.headers)
        let upgrade = HTTPUpgrade.requestedProtocols(head)
        if let upgrade { HTTPUpgrade.restore(upgrade, in: &forwarded.headers) }
        if proxy.config.forwardedFor {
            HTTPForwardingHeaders.add(client: clientEndpoint, proxy: proxy.virtual, proto: proxy.config.clientScheme,
                                      to: &forwarded.headers)
        }
        // NIO's decoder reads no further request after an upgrade request or CONNECT: unless the
        // connection switches protocols, it ends with this exchange.
        var ex = Exchange(
            head: forwarded, clientVersion: head.version,
            clientKeepAlive: head.isKeepAlive && !HTTPUpgrade.endsHTTP(head), serviceKey: key,
            request: route.connectionRequest(client: clientEndpoint, virtual: proxy.virtual))
        ex.upgrade = upgrade
        if let problem = HTTPHostCheck.problem(head) {
            proxy.logger.info("refused a request", metadata: ["client": "\(clientEndpoint)", "reason": "\(problem)"])
            exchange = ex
            fail(.badRequest, context: context)
            return
        }
        if let cookies = proxy.cookies, let token = cookies.token(in: head.headers) {
            ex.cookieToken = token
            if let server = cookies.server(for: token), scheduler.accepts(server, in: key) {
                ex.cookieServer = server
            }
        }
        exchange = ex

        if let link = backend {
            let reusable = link.keepAlive && link.channel.isActive && link.serviceKey == key
                && (ex.cookieServer == nil || ex.cookieServer == link.destination)
                && scheduler.accepts(link.destination, in: key)
            if reusable {
                sendHead(on: link)
                return
            }
            backend = nil
            link.release(to: scheduler)
        }
        scheduleAndConnect(context: context)
    }

    private func sendHead(on link: HTTPBackendLink) {
        guard let ex = exchange else { return }
        link.inBytes &+= Self.size(of: ex.head)
        link.handler?.send(.head(ex.head))
        for part in ex.pending {
            if case let .body(.byteBuffer(body)) = part { link.inBytes &+= UInt64(body.readableBytes) }
            link.handler?.send(part)
        }
        exchange!.pending = []
        link.handler?.flush()
    }

    /// Picks a server (the cookie's while it accepts, else the scheduler's) and connects to it.
    private func scheduleAndConnect(context: ChannelHandlerContext) {
        guard var ex = exchange else { return }
        var lease: ProxyLease? = nil
        if ex.attempts < proxy.maximumAttempts {
            if let server = ex.cookieServer, !ex.excluded.contains(server) {
                lease = scheduler.schedule(ex.request, to: server, in: ex.serviceKey)
            }
            if lease == nil {
                lease = scheduler.schedule(ex.request, excluding: ex.excluded)
            }
        }
        guard let lease else {
            fail(.serviceUnavailable, context: context)
            return
        }
        ex.attempts += 1
        ex.connecting = true
        exchange = ex
        generation += 1
        let attempt = generation
        let header = proxy.outgoingProxyProtocol.map { version in
            (ProxyProtocolHeader(source: ex.request.client, destination: proxy.virtual), version)
        }
        let options = BackendConnector.Options(connectTimeout: proxy.connectTimeout, allowRemoteHalfClosure: false)
        let nodeTLS = proxy.config.nodeTLS
        proxy.connector.connect(context.eventLoop, lease.destination, options) { channel in
            if let (header, version) = header {
                try channel.pipeline.syncOperations.addHandler(ProxyProtocolSender(header, version: version))
            }
            if let nodeTLS {
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: nodeTLS.context, serverHostname: nodeTLS.serverName))
            }
            // Interim 1xx responses are passed on; bytes past a 101 are kept for the splice.
            try channel.pipeline.syncOperations.addHandlers([
                HTTPRequestEncoder(),
                ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward)),
                NIOHTTPRequestHeadersValidator(),
            ])
        }
            .assumeIsolated()
            .whenComplete { result in
                self.connected(result, lease: lease, attempt: attempt)
            }
    }

    private func connected(_ result: Result<any Channel, any Error>, lease: ProxyLease, attempt: Int) {
        guard attempt == generation, !isClosed, let context, var ex = exchange, ex.connecting else {
            // The client went away (or moved on) meanwhile.
            switch result {
            case let .success(channel):
                channel.close(promise: nil)
                scheduler.closed(lease)
            case .failure:
                scheduler.abandon(lease)
            }
            return
        }
        switch result {
        case let .failure(error):
            proxy.logger.debug("server refused", metadata: ["server": "\(lease.destination)", "error": "\(error)"])
            scheduler.abandon(lease)
            ex.excluded.insert(lease.destination)
            ex.connecting = false
            exchange = ex
            scheduleAndConnect(context: context)
        case let .success(channel):
            let link = HTTPBackendLink(channel: channel, lease: lease, serviceKey: ex.serviceKey)
            let handler = HTTPBackendHandler(owner: self, link: link)
            link.handler = handler
            do {
                try channel.pipeline.syncOperations.addHandler(handler)
            } catch {
                link.release(to: scheduler)
                fail(.badGateway, context: context)
                return
            }
            ex.connecting = false
            exchange = ex
            backend = link
            sendHead(on: link)
            resumeClientReading()
        }
    }

    // MARK: Responses

    func backendRead(_ part: HTTPClientResponsePart, from link: HTTPBackendLink) {
        guard let context, link === backend, var ex = exchange, !ex.connecting else {
            // A response nobody asked for: the connection cannot be trusted.
            if link === backend { backend = nil }
            link.release(to: scheduler)
            return
        }
        switch part {
        case let .head(head) where head.status.code < 200:
            interimResponse(head, exchange: &ex, link: link, context: context)
        case let .head(head):
            guard !ex.responseStarted else { return }
            ex.responseStarted = true
            link.keepAlive = head.isKeepAlive
            var out = head
            HTTPHopByHop.strip(&out.headers)
            var keepAlive = ex.clientKeepAlive && !inputClosed
            out.version = ex.clientVersion.minor == 0 ? .http1_0 : .http1_1
            if ex.clientVersion.minor == 0 {
                out.headers.remove(name: "transfer-encoding")
                if !out.headers.contains(name: "content-length") { keepAlive = false }
            }
            if let cookies = proxy.cookies, ex.cookieToken != HTTPCookiePersistence.token(for: link.destination) {
                out.headers.add(name: "Set-Cookie", value: cookies.setCookie(for: link.destination, secure: proxy.config.tls != nil))
            }
            if !keepAlive {
                out.headers.replaceOrAdd(name: "Connection", value: "close")
            } else if ex.clientVersion.minor == 0 {
                out.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            }
            ex.responseKeepAlive = keepAlive
            exchange = ex
            link.outBytes &+= Self.size(of: out)
            context.write(wrapOutboundOut(.head(out)), promise: nil)
        case let .body(body):
            link.outBytes &+= UInt64(body.readableBytes)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        case let .end(trailers):
            guard !ex.responseEnded else { return }
            if link.failed {
                // The end came from the connection ending after an error (a reset): the body is cut.
                exchange = nil
                abortClient(context)
                return
            }
            ex.responseEnded = true
            if ex.switching {
                exchange = nil
                context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
                startSplice(ex, link: link, context: context)
                return
            }
            if ex.requestEnded {
                // State first: writing the end lets NIO's pipeline handler deliver the next request
                // at once, re-entering channelRead.
                let closeClient = finish(ex)
                let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
                if closeClient {
                    written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                } else {
                    resumeClientReading()
                }
            } else {
                // The rest of the request body still goes to the server (which discards it), so the
                // client connection and the server connection stay in step.
                exchange = ex
                link.reportTraffic(to: scheduler)
                lastResponseEnd = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
                resumeClientReading()
            }
        }
    }

    /// The request has been read to its end after the response was written.
    private func finishAfterResponse(_ ex: Exchange, context: ChannelHandlerContext) {
        if finish(ex) {
            if let written = lastResponseEnd {
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        } else {
            resumeClientReading()
        }
        lastResponseEnd = nil
    }

    /// Both the request and the response are complete: ends the exchange, keeps or releases the server
    /// connection; true when the client connection must close once the response is out.
    private func finish(_ ex: Exchange) -> Bool {
        exchange = nil
        if let link = backend {
            link.reportTraffic(to: scheduler)
            if !link.keepAlive {
                backend = nil
                link.release(to: scheduler)
            }
        }
        return !(ex.responseKeepAlive && !inputClosed)
    }

    func backendReadComplete() {
        context?.flush()
    }

    func backendBecameWritable() {
        resumeClientReading()
    }

    func backendClosed(_ link: HTTPBackendLink) {
        guard link === backend else {
            link.release(to: scheduler)
            return
        }
        backend = nil
        link.release(to: scheduler)
        guard let context, let ex = exchange, !ex.connecting, !ex.responseEnded else { return }
        if ex.responseStarted {
            // The response is cut short: a reset tells the client, whatever the response's framing.
            exchange = nil
            abortClient(context)
        } else {
            fail(.badGateway, context: context)
        }
    }

    /// A 1xx before the final response: 100 Continue and the like go to HTTP/1.1 clients as they are
    /// (HTTP/1.0 ones never get them, RFC 9110 §15.2); a 101 the client asked for switches protocols.
    private func interimResponse(_ head: HTTPResponseHead, exchange ex: inout Exchange, link: HTTPBackendLink,
                                 context: ChannelHandlerContext) {
        guard !ex.responseStarted else { return }
        var out = head
        HTTPHopByHop.strip(&out.headers)
        out.version = .http1_1
        if head.status == .switchingProtocols {
            guard ex.upgrade != nil, !head.headers["upgrade"].isEmpty else {
                // A switch nobody asked for leaves a connection neither side can read: give up on it.
                proxy.logger.info("server switched protocols unasked", metadata: ["server": "\(link.destination)"])
                exchange = ex
                backend = nil
                link.release(to: scheduler)
                fail(.badGateway, context: context)
                return
            }
            HTTPUpgrade.restore(head.headers["upgrade"], in: &out.headers)
            ex.responseStarted = true
            ex.switching = true
            link.keepAlive = false
        } else if ex.clientVersion.minor == 0 {
            exchange = ex
            return
        }
        exchange = ex
        link.outBytes &+= Self.size(of: out)
        context.writeAndFlush(wrapOutboundOut(.head(out)), promise: nil)
    }

    /// The server's 101 is out: from here on both connections carry the new protocol's bytes unchanged.
    private func startSplice(_ ex: Exchange, link: HTTPBackendLink, context: ChannelHandlerContext) {
        guard ex.requestEnded else {
            // The request body was still coming: there is no clean point to switch at.
            backend = nil
            link.release(to: scheduler)
            abortClient(context)
            return
        }
        spliced = true
        backend = nil
        link.handler = nil
        let scheduler = self.scheduler
        link.channel.closeFuture.assumeIsolated().whenComplete { _ in link.release(to: scheduler) }
        do {
            try HTTPUpgrade.splice(client: context.channel, server: link.channel) { fromClient, count in
                if fromClient { link.inBytes &+= UInt64(count) } else { link.outBytes &+= UInt64(count) }
            }
        } catch {
            proxy.logger.debug("could not switch to a byte splice", metadata: ["error": "\(error)"])
            link.release(to: scheduler)
            context.close(promise: nil)
        }
    }

    /// Ends the client connection with a reset, so a cut response can never pass for a complete one.
    private func abortClient(_ context: ChannelHandlerContext) {
        context.flush()
        if let socket = context.channel as? any SocketOptionProvider {
            _ = socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        context.close(promise: nil)
    }

    // MARK: The proxy's own answers

    /// Answers `status` once the request has been read (its remaining body is discarded).
    private func fail(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        guard var ex = exchange else { return }
        ex.connecting = false
        ex.errorStatus = status
        ex.pending = []
        exchange = ex
        if ex.requestEnded {
            respond(status, context: context)
        } else {
            resumeClientReading()
        }
    }

    private func respond(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        guard let ex = exchange else { return }
        exchange = nil
        let keepAlive = ex.clientKeepAlive && status == .serviceUnavailable && !inputClosed
        let text: String
        switch status {
        case .serviceUnavailable: text = "503 Service Unavailable: no server can take this request\n"
        case .badGateway: text = "502 Bad Gateway: the server closed the connection without a response\n"
        default: text = "\(status.code) \(status.reasonPhrase)\n"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(text.utf8.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let version: HTTPVersion = ex.clientVersion.minor == 0 ? .http1_0 : .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        resumeClientReading()
    }

    // MARK: Teardown

    private func shutdown() {
        guard !isClosed, !spliced else { return }
        isClosed = true
        generation += 1
        exchange = nil
        if let link = backend {
            backend = nil
            link.release(to: scheduler)
        }
    }

    /// Roughly the bytes of a head on the wire (for traffic counters).
    static func size(of head: HTTPRequestHead) -> UInt64 {
        UInt64(head.method.rawValue.utf8.count + head.uri.utf8.count + 12 + headerBytes(head.headers))
    }

    static func size(of head: HTTPResponseHead) -> UInt64 {
        UInt64(17 + head.status.reasonPhrase.utf8.count + headerBytes(head.headers))
    }

    static func headerBytes(_ headers: HTTPHeaders) -> Int {
        headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 } + 2
    }
}

@available(*, unavailable)
extension HTTPSwitchingHandler: Sendable {}
