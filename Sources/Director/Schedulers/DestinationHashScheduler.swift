/// dh (ip_vs_dh.c): a 256-bucket table over the destination address, filled round the server list.
public struct DestinationHashScheduler: Scheduler {
    static let bits = 8
    static let size = 1 << bits
    /// Server list positions per bucket; -1 when the list is empty.
    var buckets = [Int32](repeating: -1, count: DestinationHashScheduler.size)

    public init() {}

    /// ip_vs_dh_reassign: bucket i gets the (i mod n)-th server of the list.
    mutating func reassign(_ servers: [RealServer]) {
        for i in 0..<Self.size { buckets[i] = servers.isEmpty ? -1 : Int32(i % servers.count) }
    }

    public mutating func reset(servers: [RealServer]) { reassign(servers) }
    public mutating func serverAdded(at index: Int, servers: [RealServer]) { reassign(servers) }
    /// Rebuilt from the final list once (the result of each add depends only on the list).
    public mutating func serversAddedAtHead(_ count: Int, servers: [RealServer]) { reassign(servers) }
    public mutating func serverRemoved(at index: Int, servers: [RealServer]) { reassign(servers) }
    public mutating func serverUpdated(at index: Int, servers: [RealServer]) { reassign(servers) }

    /// ip_vs_dh_hashkey.
    static func bucket(for address: IPAddressWord) -> Int {
        Int((address &* 2_654_435_761) & UInt32(size - 1))
    }

    public mutating func schedule(_ request: SchedulingRequest, servers: [RealServer], flags: SchedulerFlags) -> Int? {
        let b = buckets[Self.bucket(for: request.destination.address.foldedWord)]
        guard b >= 0 else { return nil }
        let s = servers[Int(b)]
        return s.isUsable ? Int(b) : nil
    }
}

/// A 32-bit host-order address word as the kernel's hash functions take it.
typealias IPAddressWord = UInt32
