import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// The node's open-file and metadata cache: the last lookup of each path, trusted for `revalidateAfter`
/// (default 1 s) and then looked up again on the file thread pool, so a file rewritten on the shared root is
/// served fresh within that interval on every node. Small files are held in memory, large ones open.
public final class FileCache: Sendable {
    struct Entry {
        var lookup: FileLookup
        var checkedAt: NIODeadline
        var memoryBytes: Int64 {
            if case let .file(file) = lookup, let contents = file.contents { return Int64(contents.readableBytes) }
            return 0
        }
    }

    struct State {
        var entries: [String: Entry] = [:]
        var memoryBytes: Int64 = 0
    }

    public let resolver: FileResolver
    public let revalidateAfter: TimeAmount
    /// The most paths remembered (open descriptors among them).
    public let maximumEntries: Int
    /// The most file bytes held in memory.
    public let maximumMemoryBytes: Int64
    let pool: NIOThreadPool
    private let state = NIOLockedValueBox(State())

    public init(resolver: FileResolver, pool: NIOThreadPool, revalidateAfter: TimeAmount = .seconds(1), maximumEntries: Int = 4096,
                maximumMemoryBytes: Int64 = 64 * 1024 * 1024) {
        self.resolver = resolver
        self.pool = pool
        self.revalidateAfter = revalidateAfter
        self.maximumEntries = maximumEntries
        self.maximumMemoryBytes = maximumMemoryBytes
    }

    /// The cached lookup of `relative` if it is recent enough to serve without touching the disk.
    public func fresh(_ relative: String, now: NIODeadline = .now()) -> FileLookup? {
        state.withLockedValue { state in
            guard let entry = state.entries[relative], now - entry.checkedAt < revalidateAfter else { return nil }
            return entry.lookup
        }
    }

    /// Looks `relative` up on the thread pool (revalidating what is cached) and remembers the answer.
    public func load(_ relative: String) async throws -> FileLookup {
        let previous = state.withLockedValue { $0.entries[relative]?.lookup }
        let resolver = self.resolver
        let lookup = try await pool.runIfActive { resolver.lookup(relative, previous: previous) }
        remember(relative, lookup)
        return lookup
    }

    func remember(_ relative: String, _ lookup: FileLookup) {
        let entry = Entry(lookup: lookup, checkedAt: .now())
        // Files too big for the memory budget are looked up again each time instead of cached.
        if entry.memoryBytes > maximumMemoryBytes / 4 { return }
        state.withLockedValue { state in
            if let old = state.entries.removeValue(forKey: relative) { state.memoryBytes -= old.memoryBytes }
            while state.entries.count >= maximumEntries || state.memoryBytes + entry.memoryBytes > maximumMemoryBytes,
                  let victim = state.entries.first {
                state.entries.removeValue(forKey: victim.key)
                state.memoryBytes -= victim.value.memoryBytes
            }
            state.entries[relative] = entry
            state.memoryBytes += entry.memoryBytes
        }
    }

    /// Forgets everything (reload).
    public func removeAll() {
        state.withLockedValue { $0 = State() }
    }

    /// How many paths and memory bytes are cached.
    public var usage: (entries: Int, memoryBytes: Int64) {
        state.withLockedValue { ($0.entries.count, $0.memoryBytes) }
    }
}
