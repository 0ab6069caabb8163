import HTTPCache
import NIOHTTP1

/// The cache's parsers of what origins and clients send: `Cache-Control`/`CDN-Cache-Control` directives,
/// cache keys from request targets, the RFC 9111 decisions on arbitrary header values, and the disk format
/// (a torn or foreign file must be refused, never trap). Input: lines `Name: value`; the first line is also
/// tried as a request target.
enum CacheHeadersTarget {
    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(64)
        var headers = HTTPHeaders()
        for line in lines {
            // Header names reach the cache from NIO's parser: ASCII tokens only (HTTPHeaders traps on others).
            guard let colon = line.firstIndex(of: ":"), line[..<colon].utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { continue }
            headers.add(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]))
        }
        let control = CacheControl(value: text)
        for name in ["max-age", "s-maxage", "max-stale", "min-fresh", "stale-while-revalidate", "stale-if-error"] {
            if let seconds = control.seconds(name) { invariant(seconds >= 0 && seconds <= 1 << 31, "delta-seconds out of range") }
        }
        let target = String(lines.first ?? "")
        if let url = CacheKey.url(target: target, authority: "origin:80") {
            invariant(url.hasPrefix("http://"), "a cache key that is not an http URI")
            invariant(CacheKey.normalized(absolute: url) == url, "a cache key that does not normalize to itself")
        }
        _ = CacheKey.hostAndPort(target)
        let policy = CachePolicy()
        let response = CachedResponse(url: "http://o/", status: 200, headers: headers, body: data, requestTime: 1_700_000_000,
                                      responseTime: 1_700_000_001, varyValues: CachePolicy.varyValues(for: headers, requestHeaders: headers))
        _ = policy.refusalToStore(method: .GET, requestHeaders: headers, status: 200, responseHeaders: headers, bodyBytes: data.count)
        let lifetime = policy.freshnessLifetime(response)
        invariant(lifetime >= 0, "negative freshness lifetime")
        invariant(policy.currentAge(response, now: 1_700_000_010) >= 0, "negative age")
        _ = policy.reuse(response, requestHeaders: headers, now: 1_700_000_010)
        _ = CachePolicy.clientNotModified(response, requestHeaders: headers)
        _ = CachePolicy.varyMatches(response, requestHeaders: headers)
        _ = CachePolicy.updated(response, with: headers, requestTime: 1, responseTime: 2)
        _ = CachePolicy.invalidatedURLs(method: .POST, url: "http://o/a", status: 200, responseHeaders: headers)
        _ = try? StoredObjectFile.decode(data)
    }
}
