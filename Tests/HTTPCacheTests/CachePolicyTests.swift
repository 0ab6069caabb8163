import HTTPCache
import NIOHTTP1
import Testing
import WebServer

/// RFC 9111 conformance of `CachePolicy`, one group per section (plus RFC 5861 and RFC 9213).
@Suite struct CachePolicyTests {
    static let policy = CachePolicy()
    static let t0: Int64 = 1_700_000_000

    static func response(_ headers: [(String, String)], status: UInt = 200, requestTime: Int64 = t0, responseTime: Int64 = t0,
                         vary: [String: String] = [:]) -> CachedResponse {
        var all = HTTPHeaders(headers)
        if !all.contains(name: "Date") { all.add(name: "Date", value: HTTPDate.format(responseTime)) }
        return CachedResponse(url: "http://o/a", status: status, headers: all, body: Array("body".utf8), requestTime: requestTime,
                              responseTime: responseTime, varyValues: vary)
    }

    static func refusal(_ headers: [(String, String)], status: UInt = 200, method: HTTPMethod = .GET, request: [(String, String)] = []) -> String? {
        policy.refusalToStore(method: method, requestHeaders: HTTPHeaders(request), status: status, responseHeaders: HTTPHeaders(headers), bodyBytes: 4)
    }

    // §3 Storing responses
    @Test func section3StoresOnlyWhatMayBeStored() {
        #expect(Self.refusal([("Cache-Control", "max-age=60")]) == nil)
        #expect(Self.refusal([("Expires", HTTPDate.format(Self.t0 + 60))]) == nil)
        #expect(Self.refusal([("ETag", "\"x\"")]) == nil)                          // a validator is enough
        #expect(Self.refusal([]) != nil)                                          // nothing: not stored
        #expect(Self.refusal([("Cache-Control", "max-age=60")], method: .POST) != nil)
        #expect(Self.refusal([("Cache-Control", "max-age=60")], status: 206) != nil)
        #expect(Self.refusal([("Cache-Control", "max-age=60")], status: 500) != nil)
        #expect(Self.refusal([("Cache-Control", "max-age=60")], status: 404) == nil) // non-200 cacheable status
        #expect(Self.refusal([("Cache-Control", "max-age=60")], status: 301) == nil)
    }

    // §5.2.2.5 no-store, §5.2.2.7 private, §5.2.1.5 request no-store
    @Test func section5NoStoreAndPrivate() {
        #expect(Self.refusal([("Cache-Control", "no-store, max-age=60")]) == "no-store")
        #expect(Self.refusal([("Cache-Control", "private, max-age=60")]) == "private")
        #expect(Self.refusal([("Cache-Control", "max-age=60")], request: [("Cache-Control", "no-store")]) == "request no-store")
    }

    // §3.5 Authorization
    @Test func section3_5AuthorizedResponsesNeedPermission() {
        #expect(Self.refusal([("Cache-Control", "max-age=60")], request: [("Authorization", "Basic x")]) != nil)
        #expect(Self.refusal([("Cache-Control", "public, max-age=60")], request: [("Authorization", "Basic x")]) == nil)
        #expect(Self.refusal([("Cache-Control", "s-maxage=60")], request: [("Authorization", "Basic x")]) == nil)
        #expect(Self.refusal([("Cache-Control", "must-revalidate, max-age=60")], request: [("Authorization", "Basic x")]) == nil)
    }

    // §4.1 Vary
    @Test func section4_1VaryMatching() {
        let headers = HTTPHeaders([("Vary", "Accept-Encoding, Accept-Language"), ("Cache-Control", "max-age=60")])
        let values = CachePolicy.varyValues(for: headers, requestHeaders: HTTPHeaders([("Accept-Encoding", "gzip,  br")]))
        #expect(values == ["accept-encoding": "gzip,br"])
        let stored = Self.response([("Vary", "Accept-Encoding, Accept-Language"), ("Cache-Control", "max-age=60")], vary: values)
        #expect(CachePolicy.varyMatches(stored, requestHeaders: HTTPHeaders([("accept-encoding", "gzip, br")])))
        #expect(!CachePolicy.varyMatches(stored, requestHeaders: HTTPHeaders([("Accept-Encoding", "identity")])))
        #expect(!CachePolicy.varyMatches(stored, requestHeaders: HTTPHeaders([("Accept-Encoding", "gzip, br"), ("Accept-Language", "fr")])))
        let star = Self.response([("Vary", "*"), ("Cache-Control", "max-age=60")])
        #expect(!CachePolicy.varyMatches(star, requestHeaders: HTTPHeaders()))
        #expect(Self.refusal([("Vary", "Accept, *"), ("Cache-Control", "max-age=60")]) == "Vary: *")
    }

    // §4.2.1 Freshness lifetime
    @Test func section4_2_1FreshnessLifetime() {
        #expect(Self.policy.freshnessLifetime(Self.response([("Cache-Control", "max-age=60, s-maxage=120")])) == 120)
        #expect(Self.policy.freshnessLifetime(Self.response([("Cache-Control", "max-age=60")])) == 60)
        #expect(Self.policy.freshnessLifetime(Self.response([("Expires", HTTPDate.format(Self.t0 + 300))])) == 300)
        #expect(Self.policy.freshnessLifetime(Self.response([("Cache-Control", "max-age=5"), ("Expires", HTTPDate.format(Self.t0 + 300))])) == 5)
        #expect(Self.policy.freshnessLifetime(Self.response([("Expires", "0")])) == 0)  // invalid Expires: already expired
        #expect(Self.policy.freshnessLifetime(Self.response([("Cache-Control", "max-age=\"30\"")])) == 30)
        #expect(Self.policy.freshnessLifetime(Self.response([("Cache-Control", "max-age=99999999999999")])) == 1 << 31)
    }

    // §4.2.2 Heuristic freshness
    @Test func section4_2_2HeuristicOnlyWhereAllowed() {
        let lastModified = HTTPDate.format(Self.t0 - 1000)
        #expect(Self.policy.freshnessLifetime(Self.response([("Last-Modified", lastModified)])) == 100)
        #expect(Self.policy.freshnessLifetime(Self.response([("Last-Modified", lastModified)], status: 302)) == 0)
        #expect(Self.policy.freshnessLifetime(Self.response([("Last-Modified", lastModified), ("Cache-Control", "public")], status: 302)) == 100)
        let capped = CachePolicy(heuristicCap: 50)
        #expect(capped.freshnessLifetime(Self.response([("Last-Modified", lastModified)])) == 50)
    }

    // §4.2.3 Age calculation
    @Test func section4_2_3CurrentAge() {
        // Age 10 from upstream, 2 s request delay, 5 s resident.
        let stored = Self.response([("Age", "10"), ("Cache-Control", "max-age=60")], requestTime: Self.t0 - 2, responseTime: Self.t0)
        #expect(Self.policy.currentAge(stored, now: Self.t0 + 5) == 17)
        // Date in the past: apparent age wins.
        let old = Self.response([("Date", HTTPDate.format(Self.t0 - 40))], responseTime: Self.t0)
        #expect(Self.policy.currentAge(old, now: Self.t0) == 40)
        #expect(Self.policy.freshnessLeft(stored, now: Self.t0 + 5) == 43)
    }

    // §4.2 / §4 reuse: fresh, stale, request directives
    @Test func section4_2FreshAndStale() {
        let stored = Self.response([("Cache-Control", "max-age=60")])
        #expect(Self.policy.reuse(stored, requestHeaders: [:], now: Self.t0 + 59) == .fresh)
        #expect(Self.policy.reuse(stored, requestHeaders: [:], now: Self.t0 + 61) == .validate(staleIfError: false))
    }

    // §5.2.1 request directives
    @Test func section5_2_1RequestDirectives() {
        let stored = Self.response([("Cache-Control", "max-age=60")])
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Cache-Control", "no-cache")]), now: Self.t0) == .validate(staleIfError: false))
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Pragma", "no-cache")]), now: Self.t0) == .validate(staleIfError: false))
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Cache-Control", "max-age=10")]), now: Self.t0 + 20) == .validate(staleIfError: false))
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Cache-Control", "min-fresh=50")]), now: Self.t0 + 20) == .validate(staleIfError: false))
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Cache-Control", "max-stale=30")]), now: Self.t0 + 80) == .fresh)
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Cache-Control", "max-stale=10")]), now: Self.t0 + 80) == .validate(staleIfError: false))
        #expect(Self.policy.reuse(stored, requestHeaders: HTTPHeaders([("Cache-Control", "max-stale")]), now: Self.t0 + 9999) == .fresh)
    }

    // §5.2.2 response directives: no-cache, must-revalidate, proxy-revalidate, s-maxage
    @Test func section5_2_2ResponseDirectives() {
        let noCache = Self.response([("Cache-Control", "no-cache, max-age=600")])
        #expect(Self.policy.reuse(noCache, requestHeaders: [:], now: Self.t0) == .validate(staleIfError: false))
        let must = Self.response([("Cache-Control", "max-age=10, must-revalidate")])
        #expect(Self.policy.reuse(must, requestHeaders: HTTPHeaders([("Cache-Control", "max-stale=100")]), now: Self.t0 + 20) == .validate(staleIfError: false))
        let proxy = Self.response([("Cache-Control", "max-age=10, proxy-revalidate")])
        #expect(Self.policy.reuse(proxy, requestHeaders: HTTPHeaders([("Cache-Control", "max-stale=100")]), now: Self.t0 + 20) == .validate(staleIfError: false))
        let sMaxAge = Self.response([("Cache-Control", "s-maxage=10, stale-if-error=100")])
        #expect(Self.policy.reuse(sMaxAge, requestHeaders: [:], now: Self.t0 + 20) == .validate(staleIfError: false)) // s-maxage implies proxy-revalidate
    }

    // RFC 5861
    @Test func rfc5861StaleWhileRevalidateAndStaleIfError() {
        let swr = Self.response([("Cache-Control", "max-age=10, stale-while-revalidate=30")])
        #expect(Self.policy.reuse(swr, requestHeaders: [:], now: Self.t0 + 30) == .staleWhileRevalidate)
        #expect(Self.policy.reuse(swr, requestHeaders: [:], now: Self.t0 + 50) == .validate(staleIfError: false))
        let sie = Self.response([("Cache-Control", "max-age=10, stale-if-error=30")])
        #expect(Self.policy.reuse(sie, requestHeaders: [:], now: Self.t0 + 30) == .validate(staleIfError: true))
        #expect(Self.policy.reuse(sie, requestHeaders: [:], now: Self.t0 + 50) == .validate(staleIfError: false))
        let mustRevalidate = Self.response([("Cache-Control", "max-age=10, stale-if-error=30, must-revalidate")])
        #expect(Self.policy.reuse(mustRevalidate, requestHeaders: [:], now: Self.t0 + 30) == .validate(staleIfError: false))
    }

    // RFC 9213
    @Test func rfc9213TargetedFieldWins() {
        let both = Self.response([("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=120"), ("Expires", HTTPDate.format(Self.t0 + 5))])
        #expect(Self.policy.freshnessLifetime(both) == 120)
        #expect(Self.refusal([("Cache-Control", "max-age=600"), ("CDN-Cache-Control", "no-store")]) == "no-store")
        #expect(Self.refusal([("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=60")]) == nil)
        let untargeted = CachePolicy(targetedField: nil)
        #expect(untargeted.freshnessLifetime(both) == 0 || untargeted.refusalToStore(method: .GET, requestHeaders: [:], status: 200,
                                                                                   responseHeaders: both.headers, bodyBytes: 4) == "no-store")
        let expiresIgnored = Self.response([("CDN-Cache-Control", "must-revalidate"), ("Expires", HTTPDate.format(Self.t0 + 500))])
        #expect(Self.policy.freshnessLifetime(expiresIgnored) == 0)
    }

    // §4.3.1 conditional request, §4.3.4 freshening from a 304
    @Test func section4_3Validation() {
        let stored = Self.response([("ETag", "\"v1\""), ("Last-Modified", HTTPDate.format(Self.t0 - 100)), ("Cache-Control", "max-age=1"),
                                    ("Content-Length", "4"), ("X-Old", "1")])
        let conditional = CachePolicy.conditionalHeaders(for: stored)
        #expect(conditional?.first(name: "If-None-Match") == "\"v1\"")
        #expect(conditional?.first(name: "If-Modified-Since") == HTTPDate.format(Self.t0 - 100))
        #expect(CachePolicy.conditionalHeaders(for: Self.response([("Cache-Control", "max-age=1")])) == nil)
        let notModified = HTTPHeaders([("ETag", "\"v1\""), ("Cache-Control", "max-age=300"), ("Content-Length", "0")])
        #expect(CachePolicy.notModifiedSelects(stored, headers: notModified))
        #expect(!CachePolicy.notModifiedSelects(stored, headers: HTTPHeaders([("ETag", "\"v2\"")])))
        let updated = CachePolicy.updated(stored, with: notModified, requestTime: Self.t0 + 50, responseTime: Self.t0 + 51)
        #expect(updated.headers.first(name: "Cache-Control") == "max-age=300")
        #expect(updated.headers.first(name: "Content-Length") == "4")
        #expect(updated.headers.first(name: "X-Old") == "1")
        #expect(updated.body == stored.body && updated.responseTime == Self.t0 + 51)
    }

    // §4.3.2 answering a client's conditional request from the cache
    @Test func section4_3_2ClientConditionals() {
        let stored = Self.response([("ETag", "W/\"v1\""), ("Last-Modified", HTTPDate.format(Self.t0 - 100))])
        #expect(CachePolicy.clientNotModified(stored, requestHeaders: HTTPHeaders([("If-None-Match", "\"v1\"")])))
        #expect(!CachePolicy.clientNotModified(stored, requestHeaders: HTTPHeaders([("If-None-Match", "\"v2\"")])))
        #expect(CachePolicy.clientNotModified(stored, requestHeaders: HTTPHeaders([("If-None-Match", "*")])))
        #expect(CachePolicy.clientNotModified(stored, requestHeaders: HTTPHeaders([("If-Modified-Since", HTTPDate.format(Self.t0))])))
        #expect(!CachePolicy.clientNotModified(stored, requestHeaders: HTTPHeaders([("If-Modified-Since", HTTPDate.format(Self.t0 - 200))])))
        // If-None-Match wins over If-Modified-Since.
        #expect(!CachePolicy.clientNotModified(stored, requestHeaders: HTTPHeaders([("If-None-Match", "\"v2\""),
                                                                                    ("If-Modified-Since", HTTPDate.format(Self.t0))])))
    }

    // §4.4 invalidation
    @Test func section4_4Invalidation() {
        let urls = CachePolicy.invalidatedURLs(method: .POST, url: "http://o/a", status: 201,
                                               responseHeaders: HTTPHeaders([("Location", "/b"), ("Content-Location", "http://other/c")]))
        #expect(urls == ["http://o/a", "http://o/b"])
        #expect(CachePolicy.invalidatedURLs(method: .DELETE, url: "http://o/a", status: 500, responseHeaders: [:]).isEmpty)
        #expect(CachePolicy.invalidatedURLs(method: .GET, url: "http://o/a", status: 200, responseHeaders: [:]).isEmpty)
        #expect(CachePolicy.invalidatedURLs(method: .PUT, url: "http://o/a", status: 204, responseHeaders: [:]) == ["http://o/a"])
    }

    // RFC 2187: an ICP HIT needs 30 s of freshness left
    @Test func icpHitNeedsThirtySeconds() {
        let stored = Self.response([("Cache-Control", "max-age=60")])
        #expect(Self.policy.isFreshForICP(stored, now: Self.t0 + 20))
        #expect(!Self.policy.isFreshForICP(stored, now: Self.t0 + 31))
        #expect(!Self.policy.isFreshForICP(Self.response([("Cache-Control", "max-age=600, no-cache")]), now: Self.t0))
    }

    // §5.2 parsing
    @Test func cacheControlParsing() {
        let parsed = CacheControl(value: "Max-Age=60, no-cache=\"Set-Cookie, X\", private ,, s-maxage=abc, max-age=5")
        #expect(parsed.seconds("max-age") == 60)
        #expect(parsed.has("no-cache") && parsed.has("private"))
        #expect(parsed.directives["no-cache"] == .some("Set-Cookie, X"))
        #expect(parsed.seconds("s-maxage") == nil)
        #expect(CacheControl(value: "").isEmpty)
        #expect(CacheControl(value: "max-age=\"unterminated").seconds("max-age") == nil)
    }

    @Test func cacheKeys() throws {
        #expect(CacheKey.url(target: "/a?b", authority: "Origin:8080") == "http://origin:8080/a?b")
        // The hit path's key (prefix made once) is the general path's key for every target it takes.
        for authority in ["Origin:8080", "127.0.0.1", "[::1]:81", "ex.AMPLE"] {
            let prefix = try #require(CacheKey.prefix(authority: authority))
            for target in ["/", "/a?b", "/A/B#frag", "/#", "/?#x", "/%41b?c=d&e", "/ü?x#y", "//x", "/" + String(repeating: "a", count: 8200)] {
                let fast = CacheKey.url(originFormTarget: target, prefix: prefix)
                if let fast { #expect(fast == CacheKey.url(target: target, authority: authority), "\(authority) \(target.prefix(20))") }
                else { #expect(target.utf8.count + prefix.utf8.count > 8192) }
            }
        }
        #expect(CacheKey.prefix(authority: "a@b") == nil && CacheKey.prefix(authority: "") == nil && CacheKey.prefix(authority: "a/b") == nil)
        #expect(CacheKey.normalized(absolute: "HTTP://Host.Example:81?q#frag") == "http://host.example:81/?q")
        #expect(CacheKey.normalized(absolute: "https://x/") == nil)
        #expect(CacheKey.normalized(absolute: "http://user@x/") == nil)
        #expect(CacheKey.hostAndPort("[::1]:81")! == ("::1", 81))
        #expect(CacheKey.hostAndPort("a")! == ("a", 80))
        #expect(CacheKey.hostAndPort("a:0") == nil)
    }
}
