import Director
import ShoalCore
import ShoalServer

/// Bytes read from one side that the other side's socket did not take yet (allocated only then).
struct PendingBytes {
    private var bytes: [UInt8] = []
    private var start = 0

    var isEmpty: Bool { start == bytes.count }

    /// Keeps `count` bytes at `pointer` to write later.
    mutating func keep(_ pointer: UnsafeRawPointer, count: Int) {
        if isEmpty {
            bytes.removeAll(keepingCapacity: false)
            start = 0
        }
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Writes as much as `write` takes (it returns the count written, or a negative value); the result of
    /// the last call (0 or more: everything was written when `isEmpty`).
    mutating func flush(_ write: (UnsafeRawPointer, Int) -> Int) -> Int {
        var result = 0
        while !isEmpty {
            result = bytes.withUnsafeBytes { raw in write(raw.baseAddress! + start, bytes.count - start) }
            guard result > 0 else { break }
            start += result
        }
        if isEmpty {
            bytes = []
            start = 0
        }
        return result
    }
}

/// One relayed connection of an `EpollWorker`: its two sockets, its `RelayState`, the lease of the real
/// server the Director core chose, and the bytes waiting for a socket that was full.
struct EpollConnection {
    var client: Int32
    var server: Int32 = -1
    var state: RelayState
    /// The listener's settings, scheduler and logger when the connection was accepted.
    let service: TCPProxyService
    let clientAddress: Endpoint
    var lease: ProxyLease?
    /// Servers that refused this connection (skipped when scheduling the next attempt).
    var refused: Set<Endpoint> = []
    var clientReadable = false
    var serverReadable = false
    var clientWritable = true
    var serverWritable = true
    /// The peer's FIN or a hangup was reported: read until EOF even after a short read.
    var clientHangup = false
    var serverHangup = false
    var toClient = PendingBytes()
    var toServer = PendingBytes()
    var traffic = TrafficBatch()
    /// The conversation held before relaying (a mail login), while `talking`.
    var preamble: (any EpollPreamble)?
    var talking = false
    /// What the preamble asked a server for (nil: a plain TCP connection's own request).
    var request: ConnectionRequest?
    /// The client's EOF was read while talking (passed on once relaying).
    var clientEnded = false

    init(client: Int32, clientAddress: Endpoint, service: TCPProxyService, now: Int64) {
        self.client = client
        self.clientAddress = clientAddress
        self.service = service
        state = RelayState(now: now, maxAttempts: service.settings.maxAttempts)
    }

    func fd(_ side: RelaySide) -> Int32 { side == .client ? client : server }
}
