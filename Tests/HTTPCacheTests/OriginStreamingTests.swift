import Foundation
import HTTPCache
import ShoalTestFixtures
import Testing

/// The origin side of a fill, against a real nginx: kept-alive origin connections reused (and a connection the
/// origin closed while idle replaced), and a fill streamed to a coalesced waiter while it is still arriving.
@Suite(.serialized) struct OriginStreamingTests {
    /// Polls `condition` (without blocking a pool thread) for up to 60 s: a bound on a real peer, not a timing claim.
    @Test func originConnectionsAreKeptAliveAndReused() async throws {
        let origin = try await OriginFixture(host: "127.0.185.11")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.185.12", origin: origin)
        for path in ["/fresh.txt", "/zero.txt", "/nostore.txt", "/vary.txt", "/big.bin"] {
            #expect(try await Curl.run(["-o", "/dev/null", "-w", "%{http_code}", cache.proxy + path]).stdout == "200")
        }
        #expect(origin.fetches("/big.bin").count == 1)
        // Five misses, one after another: one connection carried them all.
        #expect(cache.node.responder.client.connectionsOpened == 1)
        #expect(cache.node.responder.client.idleConnections == 1)
        await cache.stop()
    }

    @Test func aConnectionTheOriginClosedWhileIdleIsReplaced() async throws {
        let origin = try await OriginFixture(host: "127.0.185.13")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.185.14", origin: origin)
        let client = cache.node.responder.client
        #expect(try await Curl.get(cache.proxy + "/shortkeep.txt").body == "contents of shortkeep.txt\n")
        // nginx closes the kept-alive connection after 1 s idle; the pool drops it when it sees the close.
        #expect(client.connectionsOpened == 1)
        #expect(try await eventually { client.idleConnections == 0 })
        #expect(try await Curl.get(cache.proxy + "/shortkeep.txt").body == "contents of shortkeep.txt\n")
        #expect(origin.fetches("/shortkeep.txt").count == 2)
        #expect(client.connectionsOpened == 2)
        await cache.stop()
    }

    @Test func aWaiterJoiningAFillReceivesBytesBeforeTheFillEnds() async throws {
        let origin = try await OriginFixture(host: "127.0.185.15")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.185.16", origin: origin)
        let curl = try requiredTool("curl", package: "curl")
        // The first client starts the fill: 100 KiB trickling in at 5 KiB/s (20 s at least, whatever the load).
        let first = try TestProcess(curl, ["-sS", "--max-time", "120", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                           cache.proxy + "/trickle.bin"])
        #expect(try await eventually { try await cache.metric("shoal_cache_misses_total") == 1 })
        try await Task.sleep(for: .seconds(1))
        // A second client joins while the body is arriving; it gets the head and the bytes so far at once.
        let joined = try await Curl.run(["--max-time", "3", "-o", "/dev/null", "-D", "-", "-w", "\nreceived %{size_download}",
                                         cache.proxy + "/trickle.bin"])
        #expect(joined.status == 28, "curl stopped by its own --max-time while the fill still ran: \(joined)")
        #expect(joined.stdout.hasPrefix("HTTP/1.1 200"))
        #expect(joined.stdout.contains("Content-Length: 102400"))
        let received = Int(joined.stdout.components(separatedBy: "received ").last ?? "") ?? 0
        #expect(received > 0 && received < 102400)
        // nginx logs a request when it has sent it all: the fill was still under way.
        #expect(origin.fetches("/trickle.bin").isEmpty)
        #expect(try await first.wait(timeout: 120) == 0)
        #expect(try String(contentsOfFile: first.stdoutPath, encoding: .utf8) == "200 102400")
        #expect(origin.fetches("/trickle.bin").count == 1)
        #expect(try await cache.metric("shoal_cache_coalesced_total") == 1)
        // Stored once the body was whole.
        let hit = try await Curl.run(["-o", "/dev/null", "-D", "-", "-w", "%{size_download}", cache.proxy + "/trickle.bin"])
        #expect(hit.stdout.contains("X-Cache: HIT from node") && hit.stdout.hasSuffix("102400"))
        await cache.stop()
    }
}
