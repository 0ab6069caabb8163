public import Foundation
public import ICP
public import NIOCore
public import NIOHTTP1
import NIOConcurrencyHelpers
import NIOPosix
public import ShoalCore
public import ShoalHTTP
public import WebServer

/// The caching proxy's `HTTPResponder`: GET/HEAD answered from the store when RFC 9111 allows, else filled
/// (coalesced) from an ICP peer's HIT, a parent, or the origin; other methods forwarded and what they change
/// invalidated; PURGE for addresses in its ACL.
public final class CacheResponder: HTTPResponder {
    public let settings: CacheSettings
    public let store: CacheStore
    public let client: OriginClient
    public let origins: OriginPool?
    public let icp: ICPEndpoint?
    public let metrics: CacheMetrics
    let accessLog: AccessLog?
    let fills = FillCoordinator<FillResult>()
    let clock: @Sendable () -> Int64
    /// `http://` and the site's authority lowercased: the key of an origin-form target is this and the target
    /// (nil when the authority needs ``CacheKey/url(target:authority:)``'s general path).
    let sitePrefix: String?
    /// The values of `Via`, `X-Cache` on hits and on misses, made once.
    let via: String, hitMarker: String, missMarker: String

    public init(settings: CacheSettings, store: CacheStore, client: OriginClient, origins: OriginPool?, icp: ICPEndpoint?, metrics: CacheMetrics,
                accessLog: AccessLog?, clock: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) {
        self.settings = settings
        self.store = store
        self.client = client
        self.origins = origins
        self.icp = icp
        self.metrics = metrics
        self.accessLog = accessLog
        self.clock = clock
        sitePrefix = settings.siteAuthority.flatMap(CacheKey.prefix(authority:))
        via = "1.1 \(settings.name) (shoal)"
        hitMarker = "HIT from \(settings.name)"
        missMarker = "MISS from \(settings.name)"
    }

    /// One fill's outcome, shared by coalesced requests. With a `stream`, `response` is the stored head and
    /// the body is still arriving (every sharer is sent the bytes as they come).
    struct FillResult: Sendable {
        var response: CachedResponse?
        var error: String?
        var hierarchy: String
        var peer: String
        var stream: HTTPStreamedBody? = nil
    }

    /// The work left after a fill's head is out: the body awaited, then stored.
    typealias Settle = @Sendable () async -> Void

    /// Where a request goes upstream.
    enum Upstream {
        case origin
        case direct(host: String, port: Int)
    }

    public func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? {
        guard head.method == .CONNECT else { return nil }
        guard settings.forwardProxy else { return .text(.forbidden, "CONNECT is not served here\n") }
        guard let target = CacheKey.hostAndPort(head.uri), head.uri.hasSuffix(":\(target.port)"), !head.uri.contains("/") else {
            return .text(.badRequest, "CONNECT needs host:port\n")
        }
        guard settings.connectPorts.contains(target.port) else {
            return .text(.forbidden, "CONNECT to port \(target.port) is not allowed\n")
        }
        return nil
    }

    /// The event loop's fast path: a fresh hit whose body is in memory is answered without a task.
    public func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? {
        let head = request.head
        guard head.method == .GET || head.method == .HEAD, let url = route(head)?.0,
              let found = store.memoryHit(url: url, requestHeaders: head.headers) else { return nil }
        let now = clock()
        guard settings.policy.reuse(found.freshness, requestHeaders: head.headers, now: now) == .fresh else { return nil }
        let started = accessLog == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        let bytes = head.method == .HEAD ? 0 : found.body.readableBytes
        metrics.addHit(fromMemory: true, bytes: bytes, countingRequest: true)
        var response: HTTPServerResponse
        if Self.isConditional(head.headers) {
            response = serve(found.response, request: head, now: now, body: found.body, marker: hitMarker)
            response.headers.add(name: "Via", value: via)
        } else {
            // The stored fields as they are, then Age, X-Cache and Via: one array, built once per hit.
            var fields: [(String, String)] = []
            fields.reserveCapacity(found.forwardedFields.count + 5)  // and the layer's Content-Length and Connection
            fields.append(contentsOf: found.forwardedFields)
            fields.append(("Age", String(found.freshness.age(now: now))))
            fields.append(("X-Cache", hitMarker))
            fields.append(("Via", via))
            response = HTTPServerResponse(status: HTTPResponseStatus(statusCode: Int(found.response.status)), headers: HTTPHeaders(fields),
                                          body: found.body)
        }
        if accessLog != nil { log(Outcome(response: response, code: "TCP_MEM_HIT", url: url), request: request, started: started) }
        return response
    }

    /// True when the request carries a condition a stored response may satisfy with 304.
    static func isConditional(_ headers: HTTPHeaders) -> Bool {
        headers.contains(name: "If-None-Match") || headers.contains(name: "If-Modified-Since")
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        metrics.add(.requests)
        var outcome = await answer(request)
        finish(&outcome, request: request, started: started)
        return outcome.response
    }

    /// Adds Via and writes the access log line.
    func finish(_ outcome: inout Outcome, request: HTTPServerRequest, started: UInt64) {
        outcome.response.headers.replaceOrAdd(name: "Via", value: via)
        log(outcome, request: request, started: started)
    }

    /// Writes the access log line (when there is a log).
    func log(_ outcome: Outcome, request: HTTPServerRequest, started: UInt64) {
        if let accessLog {
            let elapsed = Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
            let client = request.remoteAddress.flatMap(Endpoint.init(socketAddress:)).map { "\($0.address)" } ?? "-"
            let line = SquidLogLine(timeMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), elapsedMilliseconds: elapsed, client: client,
                                    code: outcome.code, status: outcome.response.status.code, bytes: Int(outcome.response.bodyLength),
                                    method: request.head.method.rawValue, url: outcome.url, hierarchy: outcome.hierarchy, peer: outcome.peer,
                                    contentType: outcome.response.headers.first(name: "Content-Type") ?? "-")
            accessLog.record(line: line.text)
        }
    }

    struct Outcome {
        var response: HTTPServerResponse
        var code: String
        var url: String
        var hierarchy = "HIER_NONE"
        var peer = "-"
    }

    func answer(_ request: HTTPServerRequest) async -> Outcome {
        let head = request.head
        guard let routed = route(head) else {
            return Outcome(response: .text(.forbidden, "this cache does not proxy for that host\n"), code: "TCP_DENIED", url: head.uri)
        }
        let (url, upstream) = routed
        if head.method.rawValue == "PURGE" { return await purge(url, request: request) }
        if head.method == .CONNECT, case let .direct(host, port) = upstream { return await tunnel(host: host, port: port, request: request) }
        guard head.method == .GET || head.method == .HEAD else { return await forwardUnsafe(request, url: url, upstream: upstream) }
        // A fill whose body has all arrived is being stored: wait for that (a disk write), so this request is
        // answered from the store as any later one is (fresh: a hit; stale: revalidated), not handed a response
        // it might not be allowed to reuse. One still streaming in is shared below (request collapsing).
        if let filled = fills.published(key: url), filled.stream?.isFinished ?? true { await fills.settled(key: url) }
        let now = clock()
        let requestControl = CacheControl(head.headers)
        if let found = await store.lookup(url: url, requestHeaders: head.headers) {
            let (stored, fromMemory) = found
            switch settings.policy.reuse(stored, requestHeaders: head.headers, now: now) {
            case .fresh:
                return hit(stored, fromMemory: fromMemory, request: head, url: url, code: fromMemory ? "TCP_MEM_HIT" : "TCP_HIT", now: now)
            case .staleWhileRevalidate:
                metrics.add(.stale_served)
                Task { _ = await self.revalidate(stored, request: head, url: url, upstream: upstream) }
                return hit(stored, fromMemory: fromMemory, request: head, url: url, code: "TCP_REFRESH_MODIFIED", now: now)
            case let .validate(staleIfError):
                if requestControl.has("only-if-cached") {
                    return Outcome(response: .text(.gatewayTimeout, "not in cache (only-if-cached)\n"), code: "TCP_MISS", url: url)
                }
                let (validated, code) = await revalidate(stored, request: head, url: url, upstream: upstream)
                if let validated { return hit(validated, fromMemory: false, request: head, url: url, code: code, now: clock()) }
                if staleIfError {
                    metrics.add(.stale_served)
                    return hit(stored, fromMemory: fromMemory, request: head, url: url, code: "TCP_REFRESH_FAIL_OLD", now: now)
                }
                metrics.add(.origin_errors)
                return Outcome(response: .text(.badGateway, "origin unavailable\n"), code: "TCP_REFRESH_FAIL_ERR", url: url)
            }
        }
        if requestControl.has("only-if-cached") {
            return Outcome(response: .text(.gatewayTimeout, "not in cache (only-if-cached)\n"), code: "TCP_MISS", url: url)
        }
        metrics.add(.misses)
        let coalescible = !head.headers.contains(name: "Authorization") && !requestControl.has("no-store")
        var result: FillResult
        var coalesced = false
        if coalescible {
            let run = await fills.run(key: url) { await self.fill(url: url, request: head, upstream: upstream) }
            result = run.0
            coalesced = run.coalesced
        } else {
            result = await fillSettlingAlone(url: url, request: head, upstream: upstream)
        }
        if coalesced { metrics.add(.coalesced) }
        guard var response = result.response else {
            metrics.add(.origin_errors)
            return Outcome(response: .text(.badGateway, "upstream failed: \(result.error ?? "unknown")\n"), code: "TCP_MISS", url: url,
                           hierarchy: result.hierarchy, peer: result.peer)
        }
        if coalesced, !CachePolicy.varyMatches(response, requestHeaders: head.headers) {
            // Another request's variant: fetch our own.
            let own = await fillSettlingAlone(url: url, request: head, upstream: upstream)
            guard let ownResponse = own.response else {
                return Outcome(response: .text(.badGateway, "upstream failed\n"), code: "TCP_MISS", url: url)
            }
            response = ownResponse
            result.stream = own.stream
        }
        let served = serve(response, request: head, now: clock(), stream: result.stream, marker: missMarker)
        return Outcome(response: served, code: "TCP_MISS", url: url, hierarchy: result.hierarchy, peer: result.peer)
    }

    /// The cache key and where to fetch from; nil when this node does not proxy for the target.
    func route(_ head: HTTPRequestHead) -> (String, Upstream)? {
        if head.method == .CONNECT {
            guard settings.forwardProxy, let target = CacheKey.hostAndPort(head.uri) else { return nil }
            return (head.uri, .direct(host: target.host, port: target.port))
        }
        if head.uri.hasPrefix("/") {
            guard let site = settings.siteAuthority, origins != nil else { return nil }
            if let sitePrefix, let url = CacheKey.url(originFormTarget: head.uri, prefix: sitePrefix) { return (url, .origin) }
            guard let url = CacheKey.url(target: head.uri, authority: site) else { return nil }
            return (url, Upstream.origin)
        }
        guard let url = CacheKey.normalized(absolute: head.uri), let parts = CacheKey.parts(url) else { return nil }
        if let site = settings.siteAuthority, parts.authority == site.lowercased(), origins != nil { return (url, .origin) }
        guard settings.forwardProxy, let hostPort = CacheKey.hostAndPort(parts.authority) else { return nil }
        return (url, Upstream.direct(host: hostPort.host, port: hostPort.port))
    }

    /// A stored response served: Age, X-Cache, and 304 when the client's condition holds.
    func hit(_ stored: CachedResponse, fromMemory: Bool, request: HTTPRequestHead, url: String, code: String, now: Int64,
             body: ByteBuffer? = nil) -> Outcome {
        metrics.addHit(fromMemory: fromMemory, bytes: request.method == .HEAD ? 0 : stored.body.count, countingRequest: false)
        let response = serve(stored, request: request, now: now, body: body, marker: hitMarker)
        return Outcome(response: response, code: code, url: url)
    }

    /// The client's answer made from a stored (or just fetched) response: its forwarded fields, then Age and
    /// X-Cache (`marker`); 304 when the client's condition holds.
    func serve(_ stored: CachedResponse, request: HTTPRequestHead, now: Int64, body buffer: ByteBuffer? = nil,
               stream: HTTPStreamedBody? = nil, marker: String) -> HTTPServerResponse {
        var fields = stored.forwardedFields
        fields.append(("Age", String(settings.policy.currentAge(stored, now: now))))
        fields.append(("X-Cache", marker))
        let headers = HTTPHeaders(fields)
        if CachePolicy.clientNotModified(stored, requestHeaders: request.headers) {
            var notModified = HTTPHeaders()
            for name in ["ETag", "Last-Modified", "Cache-Control", "Expires", "Vary", "Date", "Age", "Content-Location"] {
                for value in headers[name] { notModified.add(name: name, value: value) }
            }
            return HTTPServerResponse(status: .notModified, headers: notModified)
        }
        if let stream {
            return HTTPServerResponse(status: HTTPResponseStatus(statusCode: Int(stored.status)), headers: headers, stream: stream)
        }
        return HTTPServerResponse(status: HTTPResponseStatus(statusCode: Int(stored.status)), headers: headers,
                                  body: buffer ?? ByteBuffer(bytes: stored.body))
    }

    static var hopByHop: Set<String> { CachedResponse.hopByHop }

    /// The request sent upstream: hop-by-hop fields dropped, conditional fields of the client dropped
    /// (the cache validates with its own), Via added; origin-form for origins, absolute-form for peers.
    func upstreamHead(_ request: HTTPRequestHead, url: String, absolute: Bool, extra: HTTPHeaders = [:]) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        for (name, value) in request.headers where !Self.hopByHop.contains(name.lowercased()) {
            let lower = name.lowercased()
            if request.method == .GET || request.method == .HEAD,
               ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"].contains(lower) { continue }
            headers.add(name: name, value: value)
        }
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        let parts = CacheKey.parts(url)
        if let parts { headers.replaceOrAdd(name: "Host", value: parts.authority) }
        headers.add(name: "Via", value: "1.1 \(settings.name) (shoal)")
        let target = absolute ? url : (parts?.target ?? "/")
        return HTTPRequestHead(version: .http1_1, method: request.method == .HEAD ? .GET : request.method, uri: target, headers: headers)
    }

    /// Fetches upstream and collects the whole answer (nil when the exchange or its body failed).
    func fetchUpstream(_ head: HTTPRequestHead, upstream: Upstream, body: ByteBuffer? = nil) async -> (OriginResponse?, String, String) {
        let (exchange, label, name) = await openUpstream(head, upstream: upstream, body: body)
        guard let exchange else { return (nil, label, name) }
        do {
            var whole = try await exchange.body.collected()
            return (OriginResponse(head: exchange.head, body: whole.readBytes(length: whole.readableBytes) ?? []), label, name)
        } catch {
            return (nil, label, "\(error)")
        }
    }

    /// Opens an exchange upstream: with the origin pool (trying each server once) or the named host; returns
    /// once the answer's head is in.
    func openUpstream(_ head: HTTPRequestHead, upstream: Upstream, body: ByteBuffer? = nil) async -> (OriginExchange?, String, String) {
        switch upstream {
        case let .direct(host, port):
            do {
                let exchange = try await client.open(host: host, port: port, head: head, body: body)
                return (exchange, "HIER_DIRECT", host)
            } catch {
                return (nil, "HIER_DIRECT", "\(error)")
            }
        case .origin:
            guard let origins else { return (nil, "HIER_NONE", "no origin") }
            var lastError = "no origin server"
            for _ in 0..<max(1, origins.servers.count) {
                guard let server = origins.pick(now: clock()) else { break }
                do {
                    let exchange = try await client.open(host: "\(server.address)", port: Int(server.port), head: head, body: body)
                    origins.succeeded(server)
                    return (exchange, "HIER_DIRECT", "\(server.address)")
                } catch {
                    origins.failed(server, now: clock())
                    lastError = "\(error)"
                }
            }
            return (nil, "HIER_DIRECT", lastError)
        }
    }

    /// A fill not shared with others: its body is stored in the background once it has arrived.
    func fillSettlingAlone(url: String, request: HTTPRequestHead, upstream: Upstream) async -> FillResult {
        let (result, settle) = await fill(url: url, request: request, upstream: upstream)
        if let settle { Task { await settle() } }
        return result
    }

    /// A miss: with CARP, open an exchange with the URL's owner; else ask the ICP peers and open one with a HIT
    /// peer (or the fastest parent's MISS); else upstream. Returns at the answer's head, its body streaming; the settle step stores the whole response
    /// once it has arrived, if it may be stored (a failed body stores nothing).
    func fill(url: String, request: HTTPRequestHead, upstream: Upstream) async -> (FillResult, settle: Settle?) {
        let requestTime = clock()
        var opened: OriginExchange?
        var hierarchy = "HIER_DIRECT", peer = "-"
        var fromPeer: CacheMetrics.Counter?
        if let carp = settings.carp {
            // CARP: the URL's owner (or whom its URLs fall to) fetches it, unless the request already came through a member.
            if !carp.cameThroughMember(via: request.headers["Via"]) {
                for index in carp.route(url, now: clock()) {
                    let address = carp.members[index].http
                    if let exchange = try? await client.open(host: "\(address.address)", port: Int(address.port),
                                                             head: upstreamHead(request, url: url, absolute: true)) {
                        opened = exchange
                        hierarchy = "CARP"
                        peer = "\(address.address)"
                        metrics.add(.carp_fetches)
                        fromPeer = .peer_bytes
                        break
                    }
                    carp.markDown(index, now: clock())
                }
            }
        } else if let icp, !icp.peers.isEmpty, !CacheControl(request.headers).has("no-cache") {
            let selection = await icp.select(url: url)
            let chosen: (Int, String)?
            switch selection {
            case let .hit(index): chosen = (index, "SIBLING_HIT")
            case let .parentMiss(index): chosen = (index, "CLOSEST_PARENT_MISS")
            case .direct: chosen = nil
            }
            if let chosen {
                let (index, label) = chosen
                let address = icp.peers[index].http
                let hit = label == "SIBLING_HIT"
                if hit, icp.peers[index].kind == .parent { hierarchy = "PARENT_HIT" } else { hierarchy = label }
                peer = "\(address.address)"
                opened = try? await client.open(host: "\(address.address)", port: Int(address.port),
                                                head: upstreamHead(request, url: url, absolute: true))
                if opened != nil {
                    metrics.add(hit ? .sibling_hits : .parent_fetches)
                    fromPeer = .peer_bytes
                }
            }
        }
        if opened == nil {
            let (exchange, label, name) = await openUpstream(upstreamHead(request, url: url, absolute: false), upstream: upstream)
            guard let exchange else { return (FillResult(response: nil, error: name, hierarchy: label, peer: "-"), nil) }
            opened = exchange
            hierarchy = label
            peer = name
        }
        guard let opened else { return (FillResult(response: nil, error: "no response", hierarchy: hierarchy, peer: peer), nil) }
        let head = cachedResponse(OriginResponse(head: opened.head, body: []), url: url, request: request, requestTime: requestTime)
        let bytesCounter = fromPeer ?? .origin_bytes
        // An object fetched from its CARP owner stays the owner's alone unless configured otherwise.
        let keeps = hierarchy != "CARP" || settings.carp?.keepsOthers == true
        let settle: Settle = {
            guard var whole = try? await opened.body.collected() else { return }
            var response = head
            response.body = whole.readBytes(length: whole.readableBytes) ?? []
            self.metrics.add(bytesCounter, response.body.count)
            if keeps { await self.keep(response, request: request) }
        }
        return (FillResult(response: head, error: nil, hierarchy: hierarchy, peer: peer, stream: opened.body), settle)
    }

    func cachedResponse(_ fetched: OriginResponse, url: String, request: HTTPRequestHead, requestTime: Int64) -> CachedResponse {
        var headers = HTTPHeaders()
        for (name, value) in fetched.head.headers where !Self.hopByHop.contains(name.lowercased()) { headers.add(name: name, value: value) }
        if !headers.contains(name: "Date") { headers.add(name: "Date", value: HTTPDate.format(clock())) }
        return CachedResponse(url: url, status: fetched.head.status.code, headers: headers, body: fetched.body, requestTime: requestTime,
                              responseTime: clock(), varyValues: CachePolicy.varyValues(for: headers, requestHeaders: request.headers))
    }

    /// Stores the response when §3 allows it.
    func keep(_ response: CachedResponse, request: HTTPRequestHead) async {
        if let reason = settings.policy.refusalToStore(method: .GET, requestHeaders: request.headers, status: response.status,
                                                       responseHeaders: response.headers, bodyBytes: response.body.count) {
            _ = reason
            metrics.add(.not_stored)
            return
        }
        if !(await store.store(response)) { metrics.add(.store_skipped) }
    }

    /// Validates a stored response with a conditional request (coalesced per URL); returns the response to
    /// serve and the log code, or nil when the origin failed.
    func revalidate(_ stored: CachedResponse, request: HTTPRequestHead, url: String, upstream: Upstream) async -> (CachedResponse?, String) {
        metrics.add(.revalidations)
        let (result, _) = await fills.run(key: "validate " + url) { () -> FillResult in
            let requestTime = self.clock()
            let conditional = CachePolicy.conditionalHeaders(for: stored) ?? [:]
            let (response, label, name) = await self.fetchUpstream(self.upstreamHead(request, url: url, absolute: false, extra: conditional),
                                                                   upstream: upstream)
            guard let response, response.head.status.code < 500 else {
                return FillResult(response: nil, error: name, hierarchy: label, peer: name)
            }
            if response.head.status == .notModified, CachePolicy.notModifiedSelects(stored, headers: response.head.headers) {
                self.metrics.add(.revalidated_unchanged)
                let updated = CachePolicy.updated(stored, with: response.head.headers, requestTime: requestTime, responseTime: self.clock())
                await self.store.store(updated)
                return FillResult(response: updated, error: nil, hierarchy: "TCP_REFRESH_UNMODIFIED", peer: name)
            }
            self.metrics.add(.origin_bytes, response.body.count)
            let fresh = self.cachedResponse(response, url: url, request: request, requestTime: requestTime)
            await self.keep(fresh, request: request)
            if self.settings.policy.refusalToStore(method: .GET, requestHeaders: request.headers, status: fresh.status,
                                                   responseHeaders: fresh.headers, bodyBytes: fresh.body.count) != nil {
                await self.store.remove(url: url)
            }
            return FillResult(response: fresh, error: nil, hierarchy: "TCP_REFRESH_MODIFIED", peer: name)
        }
        guard let response = result.response else { return (nil, "TCP_REFRESH_FAIL_ERR") }
        return (response, result.hierarchy)
    }

    /// POST/PUT/DELETE/...: forwarded; a non-error answer invalidates the target and its Location (§4.4).
    func forwardUnsafe(_ request: HTTPServerRequest, url: String, upstream: Upstream) async -> Outcome {
        let head = upstreamHead(request.head, url: url, absolute: false)
        let (response, label, name) = await fetchUpstream(head, upstream: upstream, body: request.body)
        guard let response else {
            metrics.add(.origin_errors)
            return Outcome(response: .text(.badGateway, "upstream failed\n"), code: "TCP_MISS", url: url, hierarchy: label, peer: name)
        }
        for invalid in CachePolicy.invalidatedURLs(method: request.head.method, url: url, status: response.head.status.code,
                                                     responseHeaders: response.head.headers) {
            if await store.remove(url: invalid) > 0 { metrics.add(.invalidations) }
        }
        var headers = HTTPHeaders()
        for (name, value) in response.head.headers where !Self.hopByHop.contains(name.lowercased()) && name.lowercased() != "content-length" {
            headers.add(name: name, value: value)
        }
        var body = ByteBuffer()
        body.writeBytes(response.body)
        return Outcome(response: HTTPServerResponse(status: response.head.status, headers: headers, body: body), code: "TCP_MISS", url: url,
                       hierarchy: label, peer: name)
    }

    /// CONNECT (forward proxy, port in the ACL checked by `screen`): a TCP connection to host:port on the client's
    /// event loop; once it is up, 200 and the connection becomes a byte tunnel (nothing is cached).
    func tunnel(host: String, port: Int, request: HTTPServerRequest) async -> Outcome {
        let target = "\(host):\(port)"
        guard let loop = request.eventLoop else {
            return Outcome(response: .text(.internalServerError, "no event loop for the tunnel\n"), code: "TCP_TUNNEL", url: target)
        }
        do {
            let channel = try await ClientBootstrap(group: loop)
                .connectTimeout(client.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port).get()
            metrics.add(.tunnels)
            var response = HTTPServerResponse(status: .ok)
            response.tunnel = HTTPTunnel(channel: channel, idleTimeout: .milliseconds(Int64(settings.tunnelIdleTimeout * 1000)))
            return Outcome(response: response, code: "TCP_TUNNEL", url: target, hierarchy: "HIER_DIRECT", peer: host)
        } catch {
            metrics.add(.origin_errors)
            return Outcome(response: .text(.badGateway, "cannot connect to \(target): \(error)\n"), code: "TCP_TUNNEL", url: target,
                           hierarchy: "HIER_DIRECT", peer: host)
        }
    }

    /// PURGE: removes every variant of the URL, for clients in the purge ACL.
    func purge(_ url: String, request: HTTPServerRequest) async -> Outcome {
        guard let client = request.remoteAddress.flatMap(Endpoint.init(socketAddress:)), settings.purgeAllowed.contains(client.address) else {
            return Outcome(response: .text(.forbidden, "PURGE not allowed from this address\n"), code: "TCP_DENIED", url: url)
        }
        let removed = await store.remove(url: url)
        metrics.add(.purges)
        return Outcome(response: .text(removed > 0 ? .ok : .notFound, removed > 0 ? "purged\n" : "not cached\n"), code: "TCP_MISS", url: url)
    }

    /// ICP's view of a URL: HIT when some stored variant is fresh for 30 s more (RFC 2187), never blocking.
    /// True when more fills are under way than `CacheSettings.maximumFills`: ICP answers MISS_NOFETCH.
    public var isOverloaded: Bool { fills.inFlight > settings.maximumFills }

    public func icpState(url: String) -> ICPQueryAnswerer.ObjectState {
        let now = clock()
        guard let key = CacheKey.normalized(absolute: url) else { return .miss }
        let fresh = store.containsVariant(url: key) { status, freshness in status == 200 && CachePolicy.isFreshForICP(freshness, now: now) }
        if fresh { return .hit(object: nil) }
        // A fill whose body has all arrived but is still being written to disk: a peer's fetch shares it.
        if let filled = fills.published(key: key), let response = filled.response, let stream = filled.stream, stream.isFinished,
           response.status == 200, settings.policy.isFreshForICP(response, now: now) {
            return .hit(object: nil)
        }
        return .miss
    }
}

/// What the responder needs from the configuration.
public struct CacheSettings: Sendable {
    /// Shown in `Via` and `X-Cache`.
    public var name: String
    /// `host:port` the reverse-proxied site is known as (cache keys of origin-form requests); nil: forward only.
    public var siteAuthority: String?
    public var forwardProxy: Bool
    public var policy: CachePolicy
    public var purgeAllowed: Set<IPAddress>
    /// Fills under way above which ICP queries are answered MISS_NOFETCH (RFC 2186: overloaded).
    public var maximumFills: Int
    /// Ports CONNECT may reach (forward proxy only).
    public var connectPorts: Set<Int> = [443]
    /// Seconds a CONNECT tunnel may sit idle.
    public var tunnelIdleTimeout: Double = 300
    /// CARP peer selection for misses (replaces ICP queries when set).
    public var carp: CARPRouter?

    public init(name: String, siteAuthority: String?, forwardProxy: Bool, policy: CachePolicy, purgeAllowed: Set<IPAddress>,
                maximumFills: Int = 1024) {
        self.maximumFills = maximumFills
        self.name = name
        self.siteAuthority = siteAuthority
        self.forwardProxy = forwardProxy
        self.policy = policy
        self.purgeAllowed = purgeAllowed
    }
}
