import Foundation
import Testing
import WebServer

/// Two nodes on one document root: a file replaced by write-then-rename is served fresh by both.
@Suite struct SharedStorageTests {
    @Test(arguments: WebEngine.allCases) func aRewrittenFileIsSeenByTwoNodes(engine: WebEngine) async throws {
        let first = try await WebNodeFixture(engine: engine, host: "127.0.150.1", revalidateMilliseconds: 0)
        let second = try await WebNodeFixture(engine: engine, host: "127.0.150.2", revalidateMilliseconds: 0, root: first.root)
        defer { Task { await second.stop(); await first.stop() } }
        #expect(try await first.get("/hello.txt").body == WebNodeFixture.smallText)
        #expect(try await second.get("/hello.txt").body == WebNodeFixture.smallText)
        let before = try await first.get("/big.bin").headers["etag"]
        // The webmaster's update: write a temporary file, rename it over the old one.
        try "updated on the shared root, longer than before\n".write(toFile: first.root + "/hello.txt.tmp", atomically: false, encoding: .utf8)
        #expect(rename(first.root + "/hello.txt.tmp", first.root + "/hello.txt") == 0)
        let a = try await first.get("/hello.txt"), b = try await second.get("/hello.txt")
        #expect(a.body == "updated on the shared root, longer than before\n")
        #expect(b.body == a.body)
        // Both nodes compute the same strong ETag (size and mtime only).
        #expect(a.headers["etag"] == b.headers["etag"])
        #expect(try await second.get("/big.bin").headers["etag"] == before)
        // A deleted file is gone on the next request.
        try FileManager.default.removeItem(atPath: first.root + "/index.html")
        #expect(try await second.get("/index.html").status == 404)
    }

    @Test(arguments: WebEngine.allCases) func withinTheRevalidationIntervalTheCacheAnswers(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, revalidateMilliseconds: 60_000)
        defer { Task { await f.stop() } }
        #expect(try await f.get("/hello.txt").body == WebNodeFixture.smallText)
        try FileManager.default.removeItem(atPath: f.root + "/hello.txt")
        // Still cached (the interval is a minute); a reload forgets the cache.
        #expect(try await f.get("/hello.txt").status == 200)
        await f.node.reload()
        #expect(try await f.get("/hello.txt").status == 404)
    }
}
