import Foundation
import HTTPCache
import ShoalTestFixtures
import Testing

/// The cache node as a reverse proxy in front of a real nginx, asked with curl (RFC 9111 end to end).
@Suite(.serialized) struct CacheNodeTests {
    /// Polls `condition` (without blocking a pool thread) for up to 10 s.
    @Test func missThenHitWithAgeAndOneOriginFetch() async throws {
        let origin = try await OriginFixture(host: "127.0.180.1")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.2", origin: origin)
        let first = try await Curl.get("\(cache.proxy)/fresh.txt")
        #expect(first.status == 200 && first.body == "contents of fresh.txt\n")
        #expect(first.headers["x-cache"] == "MISS from node")
        try await Task.sleep(for: .seconds(1.1))
        let second = try await Curl.get("\(cache.proxy)/fresh.txt")
        #expect(second.status == 200 && second.body == "contents of fresh.txt\n")
        #expect(second.headers["x-cache"] == "HIT from node")
        #expect((Int(second.headers["age"] ?? "") ?? 0) >= 1)
        #expect(second.headers["via"]?.contains("node") == true)
        // The memory hit (answered on the event loop) sends the fields the miss sent, no hop-by-hop ones.
        #expect(Set(second.headers.keys) == Set(first.headers.keys))
        #expect(second.headers["etag"] == first.headers["etag"] && second.headers["date"] == first.headers["date"])
        #expect(second.headers["content-length"] == "22" && second.headers["connection"]?.lowercased() != "close")
        #expect(origin.fetches("/fresh.txt").count == 1)
        // HEAD is answered from the stored GET.
        let head = try await Curl.run(["-I", "\(cache.proxy)/fresh.txt"])
        #expect(head.stdout.contains("X-Cache: HIT from node"))
        #expect(origin.fetches("/fresh.txt").count == 1)
        #expect(try await cache.metric("shoal_cache_hits_total") == 2)
        #expect(try await cache.metric("shoal_cache_misses_total") == 1)
        #expect(try await eventually { cache.accessLog.contains("TCP_MEM_HIT/200") && cache.accessLog.contains("TCP_MISS/200") })
        await cache.stop()
    }

    @Test func storedResponseValidatedWithTheOrigin() async throws {
        let origin = try await OriginFixture(host: "127.0.180.3")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.4", origin: origin)
        let first = try await Curl.get("\(cache.proxy)/zero.txt")
        #expect(first.status == 200)
        let second = try await Curl.get("\(cache.proxy)/zero.txt")
        #expect(second.status == 200 && second.body == "contents of zero.txt\n")
        let lines = origin.fetches("/zero.txt")
        #expect(lines.count == 2)
        #expect(lines.last?.contains("\" 304 ") == true) // nginx answered our conditional request 304
        #expect(try await cache.metric("shoal_cache_revalidated_unchanged_total") == 1)
        // The client's own conditional request is answered 304 by the cache.
        let etag = first.headers["etag"] ?? ""
        let conditional = try await Curl.get("\(cache.proxy)/fresh.txt")
        let again = try await Curl.get("\(cache.proxy)/fresh.txt", headers: ["If-None-Match: \(conditional.headers["etag"] ?? "")"])
        #expect(again.status == 304 && again.body.isEmpty)
        #expect(!etag.isEmpty)
        let since = try await Curl.get("\(cache.proxy)/fresh.txt", headers: ["If-Modified-Since: \(conditional.headers["last-modified"] ?? "")"])
        #expect(since.status == 304)
        await cache.stop()
    }

    @Test func noStorePrivateAndVary() async throws {
        let origin = try await OriginFixture(host: "127.0.180.5")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.6", origin: origin)
        for path in ["/nostore.txt", "/private.txt"] {
            _ = try await Curl.get(cache.proxy + path)
            let second = try await Curl.get(cache.proxy + path)
            #expect(second.headers["x-cache"]?.hasPrefix("MISS") == true, "\(path)")
            #expect(origin.fetches(path).count == 2, "\(path)")
        }
        // CDN-Cache-Control (RFC 9213) overrides Cache-Control: no-store for this cache.
        _ = try await Curl.get(cache.proxy + "/cdn.txt")
        #expect(try await Curl.get(cache.proxy + "/cdn.txt").headers["x-cache"]?.hasPrefix("HIT") == true)
        // Vary: one variant per Accept-Language.
        _ = try await Curl.get(cache.proxy + "/vary.txt", headers: ["Accept-Language: fr"])
        #expect(try await Curl.get(cache.proxy + "/vary.txt", headers: ["Accept-Language: fr"]).headers["x-cache"]?.hasPrefix("HIT") == true)
        #expect(try await Curl.get(cache.proxy + "/vary.txt", headers: ["Accept-Language: de"]).headers["x-cache"]?.hasPrefix("MISS") == true)
        #expect(origin.fetches("/vary.txt").count == 2)
        await cache.stop()
    }

    @Test func unsafeMethodInvalidatesAndPurgeNeedsTheACL() async throws {
        let origin = try await OriginFixture(host: "127.0.180.7")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.8", origin: origin)
        _ = try await Curl.get(cache.proxy + "/post")
        #expect(try await Curl.get(cache.proxy + "/post").headers["x-cache"]?.hasPrefix("HIT") == true)
        let posted = try await Curl.get(cache.proxy + "/post", data: "x=1")
        #expect(posted.status == 200)
        #expect(try await Curl.get(cache.proxy + "/post").headers["x-cache"]?.hasPrefix("MISS") == true)
        #expect(origin.fetches("/post").filter { $0.contains("\"GET ") }.count == 2)
        // PURGE from 127.0.0.1 (in the ACL) removes; curl from 127.0.180.9 (not in it) is refused.
        _ = try await Curl.get(cache.proxy + "/fresh.txt")
        let denied = try await Curl.run(["-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.180.9", "-X", "PURGE", cache.proxy + "/fresh.txt"])
        #expect(denied.stdout == "403")
        #expect(try await Curl.get(cache.proxy + "/fresh.txt").headers["x-cache"]?.hasPrefix("HIT") == true)
        let purged = try await Curl.run(["-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.0.1", "-X", "PURGE", cache.proxy + "/fresh.txt"])
        #expect(purged.stdout == "200")
        #expect(try await Curl.get(cache.proxy + "/fresh.txt").headers["x-cache"]?.hasPrefix("MISS") == true)
        await cache.stop()
    }

    @Test func staleWhileRevalidateServesStaleThenRefreshes() async throws {
        let origin = try await OriginFixture(host: "127.0.180.10")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.11", origin: origin)
        _ = try await Curl.get(cache.proxy + "/swr.txt")
        try await Task.sleep(for: .seconds(2.2))
        let stale = try await Curl.get(cache.proxy + "/swr.txt")
        #expect(stale.status == 200 && stale.headers["x-cache"]?.hasPrefix("HIT") == true)
        #expect(try await eventually { origin.fetches("/swr.txt").count == 2 }) // the background revalidation
        await cache.stop()
    }

    @Test func hundredConcurrentMissesMakeOneOriginFetch() async throws {
        let origin = try await OriginFixture(host: "127.0.180.12")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.13", origin: origin, extra: "limits: { connections: 1000 }\n")
        let urls = Array(repeating: cache.proxy + "/slow.bin", count: 100)
        let result = try await Curl.run(["-Z", "--parallel-max", "100", "--parallel-immediate", "-w", "%{http_code} %{size_download}\\n"]
                                         + urls.flatMap { ["-o", "/dev/null", $0] })
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 100)
        #expect(lines.allSatisfy { $0 == "200 204800" })
        #expect(origin.fetches("/slow.bin").count == 1)
        #expect((try await cache.metric("shoal_cache_coalesced_total") ?? 0) >= 1)
        await cache.stop()
    }

    @Test func restartedNodeServesItsDiskObjects() async throws {
        let origin = try await OriginFixture(host: "127.0.180.14")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.15", origin: origin)
        let first = try await Curl.run(["-o", "/dev/null", "-w", "%{http_code} %{size_download}", cache.proxy + "/big.bin"])
        #expect(first.stdout == "200 102400")
        await cache.stop(removing: false)
        let restarted = try await CacheNodeFixture(host: "127.0.180.15", origin: origin, directory: cache.directory)
        let again = try await Curl.run(["-o", "/dev/null", "-D", "-", "-w", "%{size_download}", restarted.proxy + "/big.bin"])
        #expect(again.stdout.contains("X-Cache: HIT from node"))
        #expect(again.stdout.hasSuffix("102400"))
        #expect(origin.fetches("/big.bin").count == 1)
        await restarted.stop()
        try? FileManager.default.removeItem(atPath: cache.directory)
    }

    @Test func forwardProxyFetchesAnyHost() async throws {
        let origin = try await OriginFixture(host: "127.0.180.16")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.180.17", origin: nil, extra: "forward_proxy: true\n")
        let url = "http://\(origin.authority)/fresh.txt"
        #expect(try await Curl.get(url, proxy: cache.proxy).headers["x-cache"]?.hasPrefix("MISS") == true)
        #expect(try await Curl.get(url, proxy: cache.proxy).headers["x-cache"]?.hasPrefix("HIT") == true)
        #expect(origin.fetches("/fresh.txt").count == 1)
        // Origin-form requests have no site to go to.
        #expect(try await Curl.get(cache.proxy + "/fresh.txt").status == 403)
        await cache.stop()
    }
}
