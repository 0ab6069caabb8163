/// mh (ip_vs_mh.c): Maglev consistent hashing over a prime-sized lookup table (4093 entries by default).
///
/// Each server walks its own permutation of the table (offset and skip from two hsiphash keys over its
/// address and port) and claims free entries, `turns` at a time in proportion to its weight. When one of
/// N servers leaves, only about 1/N of the table changes hands.
public struct MaglevScheduler: Scheduler {
    /// CONFIG_IP_VS_MH_TAB_INDEX 12 selects the prime 4093.
    public static let defaultTableSize = 4093
    static let hash1 = (k0: UInt64(2_654_435_761), k1: UInt64(2_654_435_761))
    static let hash2 = (k0: UInt64(2_654_435_801), k1: UInt64(2_654_435_801))

    let tableSize: Int
    /// IP_VS_MH_TAB_BITS: half the bits of the table size.
    let tableBits: Int
    /// Server list position per table entry; -1 while empty.
    public private(set) var lookup: [Int32]
    /// Permutations from the servers' addresses alone (``SchedulerFlags/addressOnly``), not address and port.
    let addressOnly: Bool

    public init(tableSize: Int = MaglevScheduler.defaultTableSize, addressOnly: Bool = false) {
        self.tableSize = tableSize
        self.addressOnly = addressOnly
        var log2 = 0
        while (1 << (log2 + 1)) <= tableSize { log2 += 1 }
        self.tableBits = log2 / 2
        self.lookup = [Int32](repeating: -1, count: tableSize)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    static func hashKey(_ word: UInt32, port: UInt16, key: (k0: UInt64, k1: UInt64), offset: UInt32) -> UInt32 {
        KernelHash.hsiphash(offset &+ UInt32(port) &+ word, k0: key.k0, k1: key.k1)
    }

    /// ip_vs_mh_dest_changed → ip_vs_mh_reassign: permutations, then the populate loop.
    mutating func reassign(_ servers: [RealServer]) {
        for i in 0..<tableSize { lookup[i] = -1 }
        var g = 0
        for s in servers where s.lastWeight > 0 { g = g > 0 ? Self.gcd(s.lastWeight, g) : s.lastWeight }
        guard g >= 1, !servers.isEmpty else { return }
        let maxWeight = servers.map(\.lastWeight).max() ?? 0
        let mw = maxWeight / g
        let fls = mw == 0 ? 0 : (Int.bitWidth - mw.leadingZeroBitCount)
        let shift = max(0, fls - tableBits)

        let n = servers.count
        var perm = [Int](repeating: 0, count: n)
        var skip = [Int](repeating: 0, count: n)
        var turns = [Int](repeating: 0, count: n)
        for (i, s) in servers.enumerated() {
            let word = s.endpoint.address.foldedWord
            let port = addressOnly ? 0 : s.endpoint.port
            perm[i] = Int(Self.hashKey(word, port: port, key: Self.hash1, offset: 0)) % tableSize
            skip[i] = Int(Self.hashKey(word, port: port, key: Self.hash2, offset: 0)) % (tableSize - 1) + 1
            let lw = s.lastWeight
            let t = (lw / g) >> shift
            turns[i] = t != 0 ? t : (lw != 0 ? 1 : 0)
        }
        guard turns.contains(where: { $0 > 0 }) else { return }
        var taken = [Bool](repeating: false, count: tableSize)
        var filled = 0
        var turnCount = 0
        while filled < tableSize {
            var d = 0
            while d < n {
                if turns[d] < 1 { d += 1; continue }
                var c = perm[d]
                while taken[c] {
                    perm[d] += skip[d]
                    if perm[d] >= tableSize { perm[d] -= tableSize }
                    c = perm[d]
                }
                taken[c] = true
                lookup[c] = Int32(d)
                filled += 1
                if filled == tableSize { return }
                turnCount += 1
                if turnCount >= turns[d] {
                    turnCount = 0
                    d += 1
                }
            }
        }
    }

    public mutating func reset(servers: [RealServer]) { reassign(servers) }
    public mutating func serverAdded(at index: Int, servers: [RealServer]) { reassign(servers) }
    /// Rebuilt from the final list once (the result of each add depends only on the list).
    public mutating func serversAddedAtHead(_ count: Int, servers: [RealServer]) { reassign(servers) }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) { reassign(servers) }
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) { reassign(servers) }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let word = request.affinityKey ?? request.client.address.foldedWord
        let port = flags.contains(.port) && request.affinityKey == nil ? request.client.port : 0
        let home = Int(Self.hashKey(word, port: port, key: Self.hash1, offset: 0)) % tableSize
        let first = lookup[home]
        guard first >= 0 else { return nil }
        if servers[Int(first)].isUsable { return Int(first) }
        guard flags.contains(.fallback) else { return nil }
        // ip_vs_mh_get_fallback: rehash with offsets from the home slot round the table.
        for offset in 0..<tableSize {
            let roffset = UInt32((offset + home) % tableSize)
            let slot = Int(Self.hashKey(word, port: port, key: Self.hash1, offset: roffset)) % tableSize
            let d = lookup[slot]
            if d < 0 { break }
            if servers[Int(d)].isUsable { return Int(d) }
        }
        return nil
    }
}
