import NIOCore
public import ShoalServer

/// Counts a spliced connection's bytes, reports them to the Director core in batches, and remembers
/// when the connection last carried data (the TCP proxy's and the mail director's splices).
public final class TrafficMeter: TCPProxyTrafficMeter {
    /// The lease, once a server is connected.
    public var lease: ProxyLease?
    private let scheduler: any ConnectionScheduler
    private var batch = TrafficBatch()
    private var finished = false
    /// The connection's idle timer, told of every read.
    public var idleTimer: IdleTimer?

    public init(scheduler: any ConnectionScheduler) {
        self.scheduler = scheduler
    }

    public func touch() { idleTimer?.touch() }

    public func inbound(_ count: Int) {
        idleTimer?.touch()
        if batch.add(inbound: UInt64(count), outbound: 0) { report() }
    }

    public func outbound(_ count: Int) {
        idleTimer?.touch()
        if batch.add(inbound: 0, outbound: UInt64(count)) { report() }
    }

    private func report() {
        guard let lease else { return }
        batch.report(lease, to: scheduler)
    }

    /// The client connection closed: last counts, then the close.
    public func finish() {
        guard !finished, let lease else { return }
        finished = true
        report()
        scheduler.closed(lease)
    }
}

/// Closes `channel` once nothing was read on either side for `timeout` (the meter notes every read); the
/// timer is cancelled when the channel closes, so a closed connection is freed at once, not at the timeout.
/// (The TCP proxy and the mail director keep the timer in their handler and end it in `channelInactive`.)
func watchIdleness(_ channel: any Channel, meter: TrafficMeter, timeout: TimeAmount) {
    let timer = IdleTimer(eventLoop: channel.eventLoop) { channel.close(promise: nil) }
    meter.idleTimer = timer
    timer.arm(timeout: timeout)
    let bound = NIOLoopBound(timer, eventLoop: channel.eventLoop)
    channel.closeFuture.whenComplete { _ in bound.value.cancel() }
}
