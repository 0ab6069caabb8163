#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import ShoalCore

/// A bound UDP socket served by a thread of its own: a blocking `recvfrom` hands each datagram straight to the
/// handler (no event loop, no readiness round between the kernel and the answer), and `send` is a
/// non-blocking `sendto` from any thread. For request/answer protocols whose answers never block (ICP).
/// After a datagram the thread may poll for `pollMicroseconds` before it sleeps again (as a socket's
/// `SO_BUSY_POLL` does for NAPI devices): a peer's next query then finds it awake instead of paying a wake-up.
public final class DatagramThread: Sendable {
    /// Called on the socket's thread for each datagram, with the bytes (valid during the call) and the sender.
    public typealias Handler = @Sendable (UnsafeRawBufferPointer, SocketAddress) -> Void

    /// The address actually bound (the real port when asked for port 0).
    public let boundAddress: Endpoint
    let fd: Int32
    let stopping = NIOLockedValueBox(false)
    let finished = ConditionLock(value: false)

    init(fd: Int32, boundAddress: Endpoint) {
        self.fd = fd
        self.boundAddress = boundAddress
    }

    /// Binds `address` (with `SO_REUSEADDR`) and starts the thread, named `name`, reading datagrams of up to
    /// `maximumDatagram` bytes (longer ones arrive cut to that length).
    public static func bind(_ address: Endpoint, maximumDatagram: Int, name: String, pollMicroseconds: Int = 0,
                            handler: @escaping Handler) throws -> DatagramThread {
        let family = address.address.family == .inet ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenerError(address: address, underlying: IOError(errnoCode: errno, reason: "socket")) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.socketAddress.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
        guard bound == 0 else {
            let error = IOError(errnoCode: errno, reason: "bind")
            _ = Glibc.close(fd)
            throw ListenerError(address: address, underlying: error)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let local = (named == 0 ? socketAddress(storage) : nil).flatMap(Endpoint.init(socketAddress:)) ?? address
        let socket = DatagramThread(fd: fd, boundAddress: local)
        let thread = Thread { socket.run(maximumDatagram: maximumDatagram, pollNanoseconds: UInt64(max(0, pollMicroseconds)) * 1000, handler: handler) }
        thread.name = name
        thread.start()
        return socket
    }

    func run(maximumDatagram: Int, pollNanoseconds: UInt64, handler: Handler) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumDatagram, alignment: 8)
        defer {
            buffer.deallocate()
            finished.lock()
            finished.unlock(withValue: true)
        }
        var storage = sockaddr_storage()
        var pollUntil: UInt64 = 0
        while true {
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let polling = pollUntil != 0
            let count = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, buffer.baseAddress, maximumDatagram, polling ? Int32(MSG_DONTWAIT) : 0, $0, &length)
                }
            }
            if stopping.withLockedValue({ $0 }) { return }
            guard count >= 0 else {
                let code = errno
                if polling, code == EAGAIN || code == EWOULDBLOCK {
                    if Self.monotonicNanoseconds() >= pollUntil { pollUntil = 0 }
                    continue
                }
                if code == EINTR || code == EAGAIN || code == ECONNREFUSED { continue }  // ICMP errors of earlier sends
                return
            }
            guard let sender = Self.socketAddress(storage) else { continue }
            handler(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), sender)
            if pollNanoseconds > 0 { pollUntil = Self.monotonicNanoseconds() + pollNanoseconds }
        }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Sends one datagram without blocking; false when the kernel refused it (buffer full, no route).
    @discardableResult
    public func send(_ bytes: [UInt8], to destination: SocketAddress) -> Bool {
        bytes.withUnsafeBytes { raw in
            destination.withSockAddr { address, length in
                sendto(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), address, socklen_t(length)) == raw.count
            }
        }
    }

    /// Joins the IPv4 multicast `group` (the kernel picks the interface by its route to the group); the socket,
    /// bound to the group's address, then receives what is sent there.
    public func join(group: IPAddress) throws {
        guard case let .v4(bits) = group, bits >> 28 == 0xE else {
            throw IOError(errnoCode: EINVAL, reason: "\(group) is not an IPv4 multicast group")
        }
        var request = ip_mreq()
        request.imr_multiaddr.s_addr = bits.bigEndian
        request.imr_interface.s_addr = 0
        guard setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreq>.size)) == 0 else {
            throw IOError(errnoCode: errno, reason: "joining \(group)")
        }
    }

    /// The time-to-live of multicast datagrams this socket sends (1: this link only).
    public func setMulticastTTL(_ ttl: Int) {
        var value = Int32(clamping: ttl)
        _ = setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Stops the thread and closes the socket.
    public func close() async {
        guard stopping.withLockedValue({ stopping in defer { stopping = true }; return !stopping }) else { return }
        // shutdown wakes a blocked recvfrom on Linux, even on an unconnected UDP socket.
        _ = shutdown(fd, Int32(SHUT_RDWR))
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                self.finished.lock(whenValue: true)
                self.finished.unlock()
                continuation.resume()
            }.start()
        }
        _ = Glibc.close(fd)
    }

    static func socketAddress(_ storage: sockaddr_storage) -> SocketAddress? {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { SocketAddress($0.loadUnaligned(as: sockaddr_in.self)) }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { SocketAddress($0.loadUnaligned(as: sockaddr_in6.self)) }
        default:
            return nil
        }
    }
}
