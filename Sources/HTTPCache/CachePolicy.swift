public import NIOHTTP1
import WebServer

/// RFC 9111 as pure functions for a shared cache: may a response be stored (§3), how long it is fresh
/// (§4.2.1, §4.2.2), how old it is (§4.2.3), may a stored response answer a request (§4), how to validate
/// it (§4.3), how a 304 updates it (§3.2, §4.3.4), what an unsafe method invalidates (§4.4). With RFC 5861
/// (stale-while-revalidate, stale-if-error) and RFC 9213 (a targeted field such as `CDN-Cache-Control`
/// replaces `Cache-Control` and `Expires` for this cache when present).
public struct CachePolicy: Sendable, Equatable {
    /// The targeted field this cache obeys (RFC 9213), e.g. `CDN-Cache-Control`; nil: none.
    public var targetedField: String?
    /// Heuristic freshness: this fraction of the time since Last-Modified (§4.2.2 suggests 10%) ...
    public var heuristicFraction: Double
    /// ... capped at this many seconds.
    public var heuristicCap: Int64
    /// Largest body stored.
    public var maximumObjectBytes: Int

    public init(targetedField: String? = "CDN-Cache-Control", heuristicFraction: Double = 0.1, heuristicCap: Int64 = 86_400,
                maximumObjectBytes: Int = 8 << 20) {
        self.targetedField = targetedField
        self.heuristicFraction = heuristicFraction
        self.heuristicCap = heuristicCap
        self.maximumObjectBytes = maximumObjectBytes
    }

    /// Statuses cacheable by default (RFC 9110 §15.1), i.e. heuristically fresh when nothing says otherwise.
    public static let heuristicallyCacheable: Set<UInt> = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]
    /// Statuses this cache stores at all (final statuses it understands; 206 is not stored: no range merging).
    public static let understood: Set<UInt> = [200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 451, 501]

    /// The response directives that govern this cache: the targeted field's when it has any (RFC 9213 §2.1),
    /// else `Cache-Control`. The flag says whether the targeted field was used (then `Expires` is ignored).
    public func responseDirectives(_ headers: HTTPHeaders) -> (CacheControl, targeted: Bool) {
        if let targetedField {
            let targeted = CacheControl(headers, name: targetedField)
            if !targeted.isEmpty { return (targeted, true) }
        }
        return (CacheControl(headers), false)
    }

    // MARK: storing (§3)

    /// Why a response is not stored; nil when it may be.
    public func refusalToStore(method: HTTPMethod, requestHeaders: HTTPHeaders, status: UInt, responseHeaders: HTTPHeaders,
                               bodyBytes: Int) -> String? {
        guard method == .GET else { return "method \(method.rawValue)" }
        guard Self.understood.contains(status) else { return "status \(status)" }
        let request = CacheControl(requestHeaders)
        if request.has("no-store") { return "request no-store" }
        let (response, targeted) = responseDirectives(responseHeaders)
        if response.has("no-store") { return "no-store" }
        if response.has("private") { return "private" }
        if bodyBytes > maximumObjectBytes { return "larger than \(maximumObjectBytes) bytes" }
        if responseHeaders["Vary"].contains(where: { $0.split(separator: ",").contains { Substring($0).trimmingCharacters() == "*" } }) {
            return "Vary: *"
        }
        if requestHeaders.contains(name: "Authorization"),
           !(response.has("must-revalidate") || response.has("public") || response.has("s-maxage")) {
            return "Authorization without public, s-maxage or must-revalidate"
        }
        let explicit = response.has("public") || response.seconds("s-maxage") != nil || response.seconds("max-age") != nil
            || (!targeted && responseHeaders.contains(name: "Expires"))
        let validators = responseHeaders.contains(name: "ETag") || responseHeaders.contains(name: "Last-Modified")
        if !explicit, !validators { return "no freshness and no validator" }
        if !explicit, !Self.heuristicallyCacheable.contains(status), !validators { return "status \(status) without explicit freshness" }
        return nil
    }

    // MARK: freshness (§4.2)

    /// The freshness lifetime in seconds (§4.2.1); 0 when nothing gives one (then it is stored only to be validated).
    public func freshnessLifetime(_ response: CachedResponse) -> Int64 {
        let (directives, targeted) = responseDirectives(response.headers)
        if let sMaxAge = directives.seconds("s-maxage") { return sMaxAge }
        if let maxAge = directives.seconds("max-age") { return maxAge }
        if !targeted, let expiresText = response.headers.first(name: "Expires") {
            // An invalid Expires (e.g. "0") means already expired (§5.3).
            guard let expires = HTTPDate.parse(expiresText) else { return 0 }
            let date = response.headers.first(name: "Date").flatMap(HTTPDate.parse) ?? response.responseTime
            return max(0, expires - date)
        }
        // Heuristic freshness (§4.2.2): only for default-cacheable statuses or `public`, from Last-Modified.
        guard Self.heuristicallyCacheable.contains(response.status) || directives.has("public"),
              let lastModified = response.lastModified.flatMap(HTTPDate.parse) else { return 0 }
        let date = response.headers.first(name: "Date").flatMap(HTTPDate.parse) ?? response.responseTime
        let interval = max(0, date - lastModified)
        return min(heuristicCap, Int64(Double(interval) * heuristicFraction))
    }

    /// The current age in seconds (§4.2.3) at `now`.
    public func currentAge(_ response: CachedResponse, now: Int64) -> Int64 {
        Self.correctedInitialAge(response) + max(0, now - response.responseTime)
    }

    /// `corrected_initial_age` (§4.2.3): the part of the age fixed when the response arrived.
    static func correctedInitialAge(_ response: CachedResponse) -> Int64 {
        let date = response.headers.first(name: "Date").flatMap(HTTPDate.parse) ?? response.responseTime
        let ageValue = response.headers.first(name: "Age").flatMap { Int64(Substring($0).trimmingCharacters()) } ?? 0
        let apparentAge = max(0, response.responseTime - date)
        let responseDelay = max(0, response.responseTime - response.requestTime)
        let correctedAgeValue = max(0, ageValue) + responseDelay
        return max(apparentAge, correctedAgeValue)
    }

    /// Seconds of freshness left at `now` (negative: stale by that much).
    public func freshnessLeft(_ response: CachedResponse, now: Int64) -> Int64 {
        freshnessLifetime(response) - currentAge(response, now: now)
    }

    /// What this policy reads from a stored response's header fields, worked out once when it is stored so that a
    /// hit does not parse `Date`, `Age`, `Cache-Control` or `Vary` again: only `now` changes between hits.
    public struct Freshness: Sendable, Equatable {
        /// The freshness lifetime (§4.2.1).
        public var lifetime: Int64
        /// `corrected_initial_age` (§4.2.3).
        public var correctedInitialAge: Int64
        /// `response_time` (§4.2.3).
        public var responseTime: Int64
        /// The response's `no-cache` directive.
        public var noCache: Bool
        /// `must-revalidate`, `proxy-revalidate` or `s-maxage` (§4.2.4: no stale reuse for a shared cache).
        public var mustRevalidate: Bool
        /// The response's `stale-if-error` and `stale-while-revalidate` windows (RFC 5861).
        public var staleIfError: Int64?
        public var staleWhileRevalidate: Int64?

        /// The current age at `now` (§4.2.3).
        public func age(now: Int64) -> Int64 { correctedInitialAge + max(0, now - responseTime) }
    }

    /// The response's `Freshness` under this policy.
    public func freshness(_ stored: CachedResponse) -> Freshness {
        let (response, _) = responseDirectives(stored.headers)
        return Freshness(lifetime: freshnessLifetime(stored), correctedInitialAge: Self.correctedInitialAge(stored), responseTime: stored.responseTime,
                         noCache: response.has("no-cache"),
                         mustRevalidate: response.has("must-revalidate") || response.has("proxy-revalidate") || response.seconds("s-maxage") != nil,
                         staleIfError: response.seconds("stale-if-error"), staleWhileRevalidate: response.seconds("stale-while-revalidate"))
    }

    /// RFC 2187: an ICP HIT only for an object still fresh `margin` seconds from now (and not needing validation).
    public func isFreshForICP(_ response: CachedResponse, now: Int64, margin: Int64 = 30) -> Bool {
        Self.isFreshForICP(freshness(response), now: now, margin: margin)
    }

    /// ``isFreshForICP(_:now:margin:)`` from a stored response's `Freshness`.
    public static func isFreshForICP(_ stored: Freshness, now: Int64, margin: Int64 = 30) -> Bool {
        !stored.noCache && stored.lifetime - stored.age(now: now) > margin
    }

    // MARK: reuse (§4)

    /// What the cache may do with a stored response for a request.
    public enum Reuse: Sendable, Equatable {
        /// Serve it as it is (fresh, or stale within what the request allows).
        case fresh
        /// Serve it stale and revalidate in the background (stale-while-revalidate).
        case staleWhileRevalidate
        /// Validate it with the origin first (a conditional request); serve it stale on an origin error only
        /// when `staleIfError` says so.
        case validate(staleIfError: Bool)
    }

    /// True when `stored` matches the request's Vary fields (§4.1).
    public static func varyMatches(_ stored: CachedResponse, requestHeaders: HTTPHeaders) -> Bool {
        varyMatches(names: stored.varyNames, values: stored.varyValues, requestHeaders: requestHeaders)
    }

    /// ``varyMatches(_:requestHeaders:)`` with the stored response's Vary names already read.
    public static func varyMatches(names: [String], values: [String: String], requestHeaders: HTTPHeaders) -> Bool {
        if names.isEmpty { return true }
        if names.contains("*") { return false }
        return names.allSatisfy { values[$0] == normalizedValue(requestHeaders, $0) }
    }

    /// A request's value of a field named by Vary, normalized (values joined, whitespace around commas dropped).
    public static func normalizedValue(_ headers: HTTPHeaders, _ name: String) -> String? {
        let values = headers[name]
        guard !values.isEmpty else { return nil }
        return values.flatMap { $0.split(separator: ",") }.map { Substring($0).trimmingCharacters() }.joined(separator: ",")
    }

    /// The values to store beside a response for its Vary names.
    public static func varyValues(for responseHeaders: HTTPHeaders, requestHeaders: HTTPHeaders) -> [String: String] {
        var values: [String: String] = [:]
        for name in CachedResponse(url: "", status: 200, headers: responseHeaders, body: [], requestTime: 0, responseTime: 0).varyNames
        where name != "*" {
            if let value = normalizedValue(requestHeaders, name) { values[name] = value }
        }
        return values
    }

    /// How a stored (Vary-matching) response may be used for a request at `now` (§4.2.4, §5.2, RFC 5861).
    public func reuse(_ stored: CachedResponse, requestHeaders: HTTPHeaders, now: Int64) -> Reuse {
        reuse(freshness(stored), requestHeaders: requestHeaders, now: now)
    }

    /// ``reuse(_:requestHeaders:now:)`` from a stored response's `Freshness` worked out beforehand.
    public func reuse(_ stored: Freshness, requestHeaders: HTTPHeaders, now: Int64) -> Reuse {
        // Most requests carry neither field: skip parsing.
        let request = requestHeaders.contains(name: "Cache-Control") ? CacheControl(requestHeaders) : CacheControl()
        let age = stored.age(now: now)
        let left = stored.lifetime - age
        let staleness = -left
        let noCacheRequest = request.has("no-cache")
            || (request.isEmpty && requestHeaders["Pragma"].contains { $0.lowercased().contains("no-cache") })
        let staleIfErrorWindow = request.seconds("stale-if-error") ?? stored.staleIfError
        let mustRevalidate = stored.mustRevalidate
        let staleIfError = !mustRevalidate && staleIfErrorWindow.map { staleness <= $0 } == true
        if noCacheRequest || stored.noCache { return .validate(staleIfError: false) }
        if let maxAge = request.seconds("max-age"), age > maxAge { return .validate(staleIfError: staleIfError) }
        if let minFresh = request.seconds("min-fresh"), left < minFresh { return .validate(staleIfError: staleIfError) }
        if left > 0 { return .fresh }
        if !mustRevalidate, request.has("max-stale") {
            guard let limit = request.seconds("max-stale") else { return .fresh } // max-stale without a value: any staleness
            if staleness <= limit { return .fresh }
        }
        if !mustRevalidate, let window = stored.staleWhileRevalidate, staleness <= window {
            return .staleWhileRevalidate
        }
        return .validate(staleIfError: staleIfError)
    }

    // MARK: validation (§4.3)

    /// The conditional fields for validating `stored` with its origin; nil when it has no validator.
    public static func conditionalHeaders(for stored: CachedResponse) -> HTTPHeaders? {
        var headers = HTTPHeaders()
        if let etag = stored.entityTag { headers.add(name: "If-None-Match", value: etag) }
        if let lastModified = stored.lastModified { headers.add(name: "If-Modified-Since", value: lastModified) }
        return headers.isEmpty ? nil : headers
    }

    /// The stored response refreshed by a 304 (§3.2, §4.3.4): header fields in the 304 replace the stored ones,
    /// except those describing the body's framing; times become the validation's.
    public static func updated(_ stored: CachedResponse, with notModified: HTTPHeaders, requestTime: Int64, responseTime: Int64) -> CachedResponse {
        let kept: Set<String> = ["content-length", "content-encoding", "transfer-encoding", "content-range", "connection", "keep-alive"]
        var updated = stored
        var headers = stored.headers
        var replaced = Set<String>()
        for (name, _) in notModified where !kept.contains(name.lowercased()) { replaced.insert(name.lowercased()) }
        for name in replaced { headers.remove(name: name) }
        for (name, value) in notModified where replaced.contains(name.lowercased()) { headers.add(name: name, value: value) }
        updated.headers = headers
        updated.requestTime = requestTime
        updated.responseTime = responseTime
        return updated
    }

    /// True when a 304 from the origin is about `stored` (§4.3.4: same strong ETag, else same Last-Modified,
    /// else a single stored response without validators in the 304).
    public static func notModifiedSelects(_ stored: CachedResponse, headers: HTTPHeaders) -> Bool {
        if let etag = headers.first(name: "ETag") { return stored.entityTag == etag }
        if let lastModified = headers.first(name: "Last-Modified") { return stored.lastModified == lastModified }
        return true
    }

    /// True when the client's own conditional request is satisfied by `stored`: answer it 304 (RFC 9110 §13.1.2,
    /// §13.1.3; If-None-Match wins over If-Modified-Since).
    public static func clientNotModified(_ stored: CachedResponse, requestHeaders: HTTPHeaders) -> Bool {
        guard stored.status == 200 else { return false }
        let noneMatch = requestHeaders["If-None-Match"]
        if !noneMatch.isEmpty {
            guard let etagText = stored.entityTag, case let .tags(tags) = EntityTagCondition(header: etagText), let tag = tags.first else {
                return EntityTagCondition(header: noneMatch.joined(separator: ",")) == .any
            }
            return EntityTagCondition(header: noneMatch.joined(separator: ",")).matches(tag, strong: false)
        }
        if let since = requestHeaders.first(name: "If-Modified-Since").flatMap(HTTPDate.parse),
           let modified = stored.lastModified.flatMap(HTTPDate.parse) {
            return modified <= since
        }
        return false
    }

    // MARK: invalidation (§4.4)

    /// The URIs an unsafe request's non-error response invalidates: its target and the same-origin
    /// Location/Content-Location.
    public static func invalidatedURLs(method: HTTPMethod, url: String, status: UInt, responseHeaders: HTTPHeaders) -> [String] {
        guard ![.GET, .HEAD, .OPTIONS, .TRACE].contains(method), status < 400 else { return [] }
        var urls = [url]
        let origin = CacheKey.origin(of: url)
        for name in ["Location", "Content-Location"] {
            guard let value = responseHeaders.first(name: name) else { continue }
            let absolute = value.hasPrefix("/") ? (origin ?? "") + value : value
            if let origin, CacheKey.origin(of: absolute) == origin { urls.append(absolute) }
        }
        return urls
    }
}
