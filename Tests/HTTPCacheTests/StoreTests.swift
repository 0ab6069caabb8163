import Foundation
import HTTPCache
import NIOHTTP1
import NIOPosix
import Testing

/// The disk store: objects survive a reopen, torn files are never loaded, LRU eviction keeps the cap.
@Suite struct StoreTests {
    /// One disk pool for the suite (shutting a pool down waits, which an async test must not do).
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    static func directory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cache-store-\(UUID().uuidString.prefix(8))").path
        return path
    }

    static func object(_ path: String, bytes: Int = 100, vary: [String: String] = [:]) -> CachedResponse {
        CachedResponse(url: "http://o" + path, status: 200, headers: HTTPHeaders([("Cache-Control", "max-age=60")] + (vary.isEmpty ? [] : [("Vary", "Accept")])),
                       body: [UInt8](repeating: 65, count: bytes), requestTime: 1, responseTime: 2, varyValues: vary)
    }

    @Test func fileFormatRoundTripsAndRefusesTornBytes() throws {
        let object = Self.object("/a")
        let bytes = StoredObjectFile.encode(object)
        #expect(try StoredObjectFile.decode(bytes) == object)
        #expect(throws: StoredObjectFile.DecodeError.truncated) { try StoredObjectFile.decode(Array(bytes.dropLast(1))) }
        var flipped = bytes
        flipped[flipped.count - 1] ^= 1
        #expect(throws: StoredObjectFile.DecodeError.checksumMismatch) { try StoredObjectFile.decode(flipped) }
        #expect(throws: StoredObjectFile.DecodeError.notAnObject) { try StoredObjectFile.decode(Array("hello world".utf8)) }
    }

    @Test func survivesReopenAndDropsTornFiles() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pool = Self.pool
        let store = try CacheStore(directory: path, capacityBytes: 1 << 20, memoryBytes: 1 << 20, memoryObjectLimit: 1 << 10, pool: pool)
        await store.store(Self.object("/small"))
        await store.store(Self.object("/large", bytes: 4096))       // over the memory object limit: disk only
        // A torn object (as if killed mid-write after a rename of a partial file) and a stray temporary file.
        let torn = StoredObjectFile.encode(Self.object("/torn"))
        let tornName = StoredObjectFile.name(url: "http://o/torn", varyValues: [:])
        FileManager.default.createFile(atPath: path + "/objects/" + tornName, contents: Data(torn.prefix(torn.count - 10)))
        FileManager.default.createFile(atPath: path + "/tmp/stray", contents: Data([1, 2, 3]))
        let reopened = try CacheStore(directory: path, capacityBytes: 1 << 20, memoryBytes: 1 << 20, memoryObjectLimit: 1 << 10, pool: pool)
        #expect(reopened.usage.objects == 2)
        let small = await reopened.lookup(url: "http://o/small", requestHeaders: [:])
        #expect(small?.0.body.count == 100 && small?.fromMemory == true)
        let large = await reopened.lookup(url: "http://o/large", requestHeaders: [:])
        #expect(large?.0.body.count == 4096 && large?.fromMemory == false)
        #expect(await reopened.lookup(url: "http://o/torn", requestHeaders: [:]) == nil)
        #expect(!FileManager.default.fileExists(atPath: path + "/objects/" + tornName))
        #expect(!FileManager.default.fileExists(atPath: path + "/tmp/stray"))
    }

    @Test func variantsAndRemoval() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pool = Self.pool
        let store = try CacheStore(directory: path, capacityBytes: 1 << 20, memoryBytes: 1 << 20, memoryObjectLimit: 1 << 20, pool: pool)
        await store.store(Self.object("/v", vary: ["accept": "text/html"]))
        await store.store(Self.object("/v", bytes: 7, vary: ["accept": "text/plain"]))
        #expect(await store.lookup(url: "http://o/v", requestHeaders: HTTPHeaders([("Accept", "text/plain")]))?.0.body.count == 7)
        #expect(await store.lookup(url: "http://o/v", requestHeaders: HTTPHeaders([("Accept", "text/html")]))?.0.body.count == 100)
        #expect(await store.lookup(url: "http://o/v", requestHeaders: [:]) == nil)
        #expect(await store.remove(url: "http://o/v") == 2)
        #expect(store.usage.objects == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/objects").isEmpty)
    }

    @Test func leastRecentlyUsedIsEvictedFirst() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pool = Self.pool
        let size = Self.object("/1", bytes: 1000).size
        let store = try CacheStore(directory: path, capacityBytes: size * 3, memoryBytes: 1 << 20, memoryObjectLimit: 1 << 20, pool: pool)
        for n in 1...3 { await store.store(Self.object("/\(n)", bytes: 1000)) }
        _ = await store.lookup(url: "http://o/1", requestHeaders: [:])  // /2 is now the least recently used
        await store.store(Self.object("/4", bytes: 1000))
        #expect(await store.lookup(url: "http://o/2", requestHeaders: [:]) == nil)
        for n in [1, 3, 4] { #expect(await store.lookup(url: "http://o/\(n)", requestHeaders: [:]) != nil, "/\(n)") }
        #expect(store.usage.evictions == 1 && store.usage.diskBytes <= size * 3)
    }

    /// Eviction takes the least recently used variant, exactly, also when its queue of oldest entries is made
    /// once and used for many evictions: checked against a plain model (a list in order of use) over 300 random
    /// stores, replacements and hits.
    @Test func evictionAgreesWithAnExactLRUModel() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = Self.object("/1000", bytes: 100).size  // every name below has five characters: one size for all
        let store = try CacheStore(directory: path, capacityBytes: size * 70, memoryBytes: 1 << 20, memoryObjectLimit: 1 << 20, pool: Self.pool)
        var model: [String] = []  // least recently used first
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let name = "/\(Int.random(in: 1000..<1120, using: &generator))"
            if Bool.random(using: &generator), model.contains(name) {
                #expect(await store.lookup(url: "http://o" + name, requestHeaders: [:]) != nil, "\(name)")
            } else {
                #expect(await store.store(Self.object(name, bytes: 100)))
            }
            model.removeAll { $0 == name }
            model.append(name)
            if model.count > 70 { model.removeFirst(model.count - 70) }
        }
        #expect(store.usage.objects == model.count)
        for name in model { #expect(!store.variants(of: "http://o" + name).isEmpty, "\(name) should be kept") }
    }

    /// A store beyond `maximumPendingWrites` writes waiting is refused, not queued; what was refused is not indexed.
    @Test func storesBeyondThePendingWriteLimitAreRefused() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try CacheStore(directory: path, capacityBytes: 1 << 24, memoryBytes: 1 << 20, memoryObjectLimit: 1 << 20, maximumPendingWrites: 2,
                                   pool: Self.pool)
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for n in 0..<40 { group.addTask { ("/\(n)", await store.store(Self.object("/\(n)"))) } }
            var results: [String: Bool] = [:]
            for await (name, stored) in group { results[name] = stored }
            return results
        }
        let stored = results.filter(\.value).map(\.key)
        #expect(!stored.isEmpty)
        #expect(store.usage.objects == stored.count)
        for (name, wasStored) in results { #expect(store.variants(of: "http://o" + name).isEmpty == !wasStored, "\(name)") }
        // With nothing waiting, the next store goes through.
        #expect(await store.store(Self.object("/after")))
    }
}
