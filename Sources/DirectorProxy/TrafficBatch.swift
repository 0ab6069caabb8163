/// Bytes a proxied connection carried since its last report to the Director core; both dataplanes (the NIO
/// splice's `TrafficMeter` and the epoll engine) report in batches of at least `reportEvery` bytes and at close.
struct TrafficBatch: Sendable, Hashable {
    /// Bytes carried before a batch is reported while the connection lives.
    static let reportEvery: UInt64 = 256 * 1024

    private(set) var inBytes: UInt64 = 0
    private(set) var outBytes: UInt64 = 0

    /// Counts bytes from the client (`inbound`) or to it; true when the batch is due for a report.
    mutating func add(inbound: UInt64, outbound: UInt64) -> Bool {
        inBytes &+= inbound
        outBytes &+= outbound
        return inBytes + outBytes >= Self.reportEvery
    }

    /// Reports the counts (if any) against `lease` and starts a new batch.
    mutating func report(_ lease: ProxyLease, to scheduler: any ConnectionScheduler) {
        guard inBytes + outBytes > 0 else { return }
        scheduler.traffic(lease, inBytes: inBytes, outBytes: outBytes)
        inBytes = 0
        outBytes = 0
    }
}
