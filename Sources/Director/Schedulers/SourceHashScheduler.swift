/// sh (ip_vs_sh.c): a 256-bucket table over the client address (and port with sh-port), weight-proportional.
public struct SourceHashScheduler: Scheduler {
    static let bits = 8
    /// The number of buckets (the kernel's IP_VS_SH_TAB_SIZE).
    public static let size = 1 << bits
    var buckets = [Int32](repeating: -1, count: SourceHashScheduler.size)

    public init() {}

    /// ip_vs_sh_reassign: each server fills as many consecutive buckets as its weight, round the list.
    mutating func reassign(_ servers: [RealServer]) {
        buckets = Self.bucketOwners(weights: servers.map(\.weight)).map { Int32($0) }
    }

    /// ip_vs_sh_reassign's table: for each of the 256 buckets, the index (in `weights`' order) of the server
    /// owning it (each fills as many consecutive buckets as its weight, round the list); all -1 when empty.
    /// Also what the nftables dataplane's sh map is built from.
    public static func bucketOwners(weights: [Int]) -> [Int] {
        guard !weights.isEmpty else { return [Int](repeating: -1, count: size) }
        var owners = [Int](repeating: 0, count: size)
        var p = 0
        var count = 0
        for i in 0..<size {
            owners[i] = p
            count += 1
            if count >= weights[p] {
                p = (p + 1) % weights.count
                count = 0
            }
        }
        return owners
    }

    public mutating func reset(servers: [RealServer]) { reassign(servers) }
    public mutating func serverAdded(at index: Int, servers: [RealServer]) { reassign(servers) }
    /// Rebuilt from the final list once (the result of each add depends only on the list).
    public mutating func serversAddedAtHead(_ count: Int, servers: [RealServer]) { reassign(servers) }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) { reassign(servers) }
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) { reassign(servers) }

    /// ip_vs_sh_hashkey.
    static func bucket(address: UInt32, port: UInt16, offset: Int) -> Int {
        Int((UInt32(truncatingIfNeeded: offset) &+ KernelHash.hash32(UInt32(port) &+ address, bits: bits)) & UInt32(size - 1))
    }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let address = request.affinityKey ?? request.client.address.foldedWord
        let port = flags.contains(.port) && request.affinityKey == nil ? request.client.port : 0
        let home = Self.bucket(address: address, port: port, offset: 0)
        let first = buckets[home]
        guard first >= 0 else { return nil }
        if servers[Int(first)].isUsable { return Int(first) }
        guard flags.contains(.fallback) else { return nil }
        // ip_vs_sh_get_fallback: rehash with growing offsets until a usable server turns up.
        for offset in 0..<Self.size {
            let roffset = (offset + home) % Self.size
            let b = buckets[Self.bucket(address: address, port: port, offset: roffset)]
            if b >= 0 && servers[Int(b)].isUsable { return Int(b) }
        }
        return nil
    }
}
