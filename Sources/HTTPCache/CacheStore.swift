import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import NIOHTTP1
public import NIOPosix

/// The cache's objects: an index and a memory tier in this process, every object also on local disk
/// (`StoredObjectFile`, one file per variant under `directory/objects`), so a restart finds them again.
/// A byte cap with LRU eviction (least recently used variant first) bounds the disk; small bodies
/// (`memoryObjectLimit`) stay in memory up to `memoryBytes`, larger ones are read from disk on the pool.
public final class CacheStore: Sendable {
    public let directory: String
    public let capacityBytes: Int
    public let memoryBytes: Int
    public let memoryObjectLimit: Int
    /// Reads each stored response's freshness once, when it is stored (``Entry/freshness``).
    public let policy: CachePolicy
    let pool: NIOThreadPool

    struct Entry {
        var response: CachedResponse     // body emptied when not held in memory
        var bodyInMemory: Bool
        /// The in-memory body as a buffer, shared (copy on write) by every response that sends it.
        var bodyBuffer: ByteBuffer?
        var size: Int
        var lastUse: UInt64
        /// What a hit needs from the header fields, read once: freshness, Vary names, the fields sent as they are.
        var freshness: CachePolicy.Freshness
        var varyNames: [String]
        var forwardedFields: [(String, String)]
    }

    /// A fresh-or-not variant whose body is in memory, with what a hit needs already worked out.
    public struct MemoryHit: Sendable {
        public var response: CachedResponse
        public var body: ByteBuffer
        public var freshness: CachePolicy.Freshness
        /// ``CachedResponse/forwardedFields`` of `response`.
        public var forwardedFields: [(String, String)]
    }

    struct State {
        var entries: [String: Entry] = [:]      // by file name
        var variants: [String: [String]] = [:]  // url -> file names
        var diskBytes = 0
        var memoryBytes = 0
        var clock: UInt64 = 0
        var evictions = 0
        /// Writes handed to the pool and not finished.
        var pendingWrites = 0
        /// The least recently used variants when it was made, oldest first, and how far eviction has taken them.
        var evictionQueue: [(lastUse: UInt64, name: String)] = []
        var evictionCursor = 0

        /// The least recently used variant, exactly: the first queued one untouched since the queue was made (an
        /// entry used, stored or replaced since has a larger `lastUse` than every queued one). The queue holds the
        /// oldest sixteenth of the entries and is made again when used up, so an eviction costs O(log n) on average
        /// instead of a scan of every entry.
        mutating func leastRecentlyUsed() -> String? {
            while true {
                while evictionCursor < evictionQueue.count {
                    let (lastUse, name) = evictionQueue[evictionCursor]
                    evictionCursor += 1
                    if let entry = entries[name], entry.lastUse == lastUse { return name }
                }
                guard !entries.isEmpty else { return nil }
                let oldest = entries.map { (lastUse: $0.value.lastUse, name: $0.key) }.sorted { $0.lastUse < $1.lastUse }
                evictionQueue = Array(oldest.prefix(max(64, entries.count / 16)))
                evictionCursor = 0
            }
        }
    }

    /// Writes that may wait for the disk at once; a response arriving beyond that is not stored (as Squid skips
    /// swap-out when its disk queue is full), so a burst of misses faster than the disk neither queues bodies
    /// in memory without bound nor keeps fills "settling" (and ICP answering MISS_NOFETCH) long after it.
    public let maximumPendingWrites: Int

    private let state = NIOLockedValueBox(State())

    /// Opens (creating) the store directory and loads every whole object in it; torn or foreign files and
    /// stray temporary files are removed. Blocking: call it before serving.
    public init(directory: String, capacityBytes: Int, memoryBytes: Int, memoryObjectLimit: Int, policy: CachePolicy = CachePolicy(),
                maximumPendingWrites: Int = 256, pool: NIOThreadPool) throws {
        self.directory = directory
        self.maximumPendingWrites = maximumPendingWrites
        self.capacityBytes = capacityBytes
        self.memoryBytes = memoryBytes
        self.memoryObjectLimit = memoryObjectLimit
        self.policy = policy
        self.pool = pool
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/objects", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        for name in (try? fm.contentsOfDirectory(atPath: directory + "/tmp")) ?? [] { try? fm.removeItem(atPath: directory + "/tmp/" + name) }
        var loaded: [(String, CachedResponse)] = []
        for name in (try? fm.contentsOfDirectory(atPath: directory + "/objects")) ?? [] {
            let path = directory + "/objects/" + name
            guard let data = fm.contents(atPath: path), let response = try? StoredObjectFile.decode(Array(data)),
                  StoredObjectFile.name(url: response.url, varyValues: response.varyValues) == name else {
                try? fm.removeItem(atPath: path)
                continue
            }
            loaded.append((name, response))
        }
        loaded.sort { $0.1.responseTime < $1.1.responseTime }
        state.withLockedValue { state in
            for (name, response) in loaded { Self.insert(name: name, response: response, into: &state, limits: self.limits, policy: policy) }
        }
        _ = evictOverCapacity()
    }

    var limits: (memoryBytes: Int, memoryObjectLimit: Int) { (memoryBytes, memoryObjectLimit) }

    /// The variants stored for a URL, bodies included when in memory (check `bodyInMemory` with ``body(of:)``).
    public func variants(of url: String) -> [CachedResponse] {
        state.withLockedValue { state in
            (state.variants[url] ?? []).compactMap { state.entries[$0]?.response }
        }
    }

    /// The variant matching the request's Vary fields, marked as used; its body is loaded from disk when needed.
    public func lookup(url: String, requestHeaders: HTTPHeaders) async -> (CachedResponse, fromMemory: Bool)? {
        let found: (String, Entry)? = state.withLockedValue { state in
            for name in state.variants[url] ?? [] {
                guard let index = state.entries.index(forKey: name) else { continue }
                let entry = state.entries.values[index]
                guard CachePolicy.varyMatches(names: entry.varyNames, values: entry.response.varyValues, requestHeaders: requestHeaders) else { continue }
                state.clock += 1
                state.entries.values[index].lastUse = state.clock
                return (name, entry)
            }
            return nil
        }
        guard let found else { return nil }
        let (name, entry) = found
        if entry.bodyInMemory { return (entry.response, true) }
        let path = directory + "/objects/" + name
        let read = try? await pool.runIfActive { () -> CachedResponse? in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return try? StoredObjectFile.decode(Array(data))
        }
        guard let response = read else {
            remove(name: name)
            return nil
        }
        var merged = entry.response
        merged.body = response.body
        return (merged, false)
    }

    /// The matching variant when its body is in memory, with that body as a shared buffer; never blocks
    /// (the event loop's fast path for hits).
    public func memoryHit(url: String, requestHeaders: HTTPHeaders) -> MemoryHit? {
        state.withLockedValue { state in
            for name in state.variants[url] ?? [] {
                guard let index = state.entries.index(forKey: name) else { continue }
                let entry = state.entries.values[index]
                guard entry.bodyInMemory, let buffer = entry.bodyBuffer,
                      CachePolicy.varyMatches(names: entry.varyNames, values: entry.response.varyValues, requestHeaders: requestHeaders)
                else { continue }
                state.clock += 1
                state.entries.values[index].lastUse = state.clock
                return MemoryHit(response: entry.response, body: buffer, freshness: entry.freshness, forwardedFields: entry.forwardedFields)
            }
            return nil
        }
    }

    /// The in-memory view only (no disk read): for ICP, which must answer without blocking.
    public func peek(url: String) -> [CachedResponse] { variants(of: url) }

    /// True when some variant of `url` satisfies `condition` on its status and `Freshness` (ICP's question,
    /// answered under the lock without copying a response).
    public func containsVariant(url: String, where condition: (UInt, CachePolicy.Freshness) -> Bool) -> Bool {
        state.withLockedValue { state in
            (state.variants[url] ?? []).contains { name in
                guard let entry = state.entries[name] else { return false }
                return condition(entry.response.status, entry.freshness)
            }
        }
    }

    /// Stores (or replaces) a variant: written to disk first (temporary file, fsync, rename), then indexed.
    /// False when it was not stored: the write failed, or `maximumPendingWrites` writes were already waiting.
    @discardableResult
    public func store(_ response: CachedResponse) async -> Bool {
        let limit = maximumPendingWrites
        let admitted = state.withLockedValue { state -> Bool in
            guard state.pendingWrites < limit else { return false }
            state.pendingWrites += 1
            return true
        }
        guard admitted else { return false }
        let name = StoredObjectFile.name(url: response.url, varyValues: response.varyValues)
        let directory = self.directory
        let written = (try? await pool.runIfActive { () -> Bool in
            Self.writeFile(StoredObjectFile.encode(response), directory: directory, name: name)
        }) ?? false
        state.withLockedValue { $0.pendingWrites -= 1 }
        guard written else { return false }
        state.withLockedValue { state in
            Self.removeLocked(name: name, from: &state)
            Self.insert(name: name, response: response, into: &state, limits: self.limits, policy: self.policy)
        }
        let evicted = evictOverCapacity()
        await deleteFiles(evicted)
        return true
    }

    /// Forgets every variant of a URL (PURGE, invalidation); their files are removed.
    @discardableResult
    public func remove(url: String) async -> Int {
        let names = state.withLockedValue { state in
            let names = state.variants[url] ?? []
            for name in names { Self.removeLocked(name: name, from: &state) }
            return names
        }
        await deleteFiles(names)
        return names.count
    }

    /// Objects, disk bytes, memory bytes and evictions so far.
    public var usage: (objects: Int, diskBytes: Int, memoryBytes: Int, evictions: Int) {
        state.withLockedValue { ($0.entries.count, $0.diskBytes, $0.memoryBytes, $0.evictions) }
    }

    func remove(name: String) {
        state.withLockedValue { Self.removeLocked(name: name, from: &$0) }
    }

    func deleteFiles(_ names: [String]) async {
        guard !names.isEmpty else { return }
        let directory = self.directory
        _ = try? await pool.runIfActive {
            for name in names { unlink(directory + "/objects/" + name) }
        }
    }

    /// Evicts least recently used variants until the disk bytes fit; returns their file names.
    func evictOverCapacity() -> [String] {
        state.withLockedValue { state in
            var evicted: [String] = []
            while state.diskBytes > capacityBytes, let victim = state.leastRecentlyUsed() {
                Self.removeLocked(name: victim, from: &state)
                state.evictions += 1
                evicted.append(victim)
            }
            return evicted
        }
    }

    static func insert(name: String, response: CachedResponse, into state: inout State, limits: (memoryBytes: Int, memoryObjectLimit: Int),
                       policy: CachePolicy) {
        var kept = response
        let inMemory = response.body.count <= limits.memoryObjectLimit && state.memoryBytes + response.body.count <= limits.memoryBytes
        if !inMemory { kept.body = [] } else { state.memoryBytes += response.body.count }
        state.clock += 1
        state.entries[name] = Entry(response: kept, bodyInMemory: inMemory, bodyBuffer: inMemory ? ByteBuffer(bytes: response.body) : nil,
                                    size: response.size, lastUse: state.clock, freshness: policy.freshness(response),
                                    varyNames: response.varyNames, forwardedFields: response.forwardedFields)
        state.variants[response.url, default: []].append(name)
        state.diskBytes += response.size
    }

    static func removeLocked(name: String, from state: inout State) {
        guard let entry = state.entries.removeValue(forKey: name) else { return }
        state.diskBytes -= entry.size
        if entry.bodyInMemory { state.memoryBytes -= entry.response.body.count }
        state.variants[entry.response.url]?.removeAll { $0 == name }
        if state.variants[entry.response.url]?.isEmpty == true { state.variants[entry.response.url] = nil }
    }

    /// Write-then-rename with fsync of the file (and the directory), so a crash never leaves a torn object in place.
    static func writeFile(_ bytes: [UInt8], directory: String, name: String) -> Bool {
        let temporary = directory + "/tmp/" + name + "." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        var offset = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(temporary, directory + "/objects/" + name) == 0 else {
            unlink(temporary)
            return false
        }
        let dir = open(directory + "/objects", O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
        return true
    }
}
