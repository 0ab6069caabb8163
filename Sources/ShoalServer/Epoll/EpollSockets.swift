#if canImport(Glibc)
public import Glibc
#endif
public import ShoalCore

/// A system call of the epoll engine failed: which call, on what, and errno's text.
public struct EpollEngineError: Error, CustomStringConvertible {
    public let call: String
    public let subject: String
    public let code: Int32

    public init(_ call: String, _ subject: String, code: Int32 = errno) {
        self.call = call
        self.subject = subject
        self.code = code
    }

    public var description: String { "\(call) \(subject): \(String(cString: strerror(code)))" }
}

/// The raw socket calls of the epoll engine (no NIO): addresses as `sockaddr` built from `Endpoint`'s
/// integers, listening sockets with `SO_REUSEPORT`, `accept4` (looked up once: Glibc's module map hides
/// the GNU declarations), and the socket options the engine sets per connection. Shared by the director's and
/// the web node's epoll engines.
public enum EpollSockets {
    public typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    /// `accept4(2)`, resolved from libc at first use.
    public static let accept4: Accept4 = {
        guard let symbol = dlsym(nil, "accept4") else { fatalError("libc has no accept4") }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    public typealias Splice = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int

    /// `splice(2)`, resolved from libc at first use.
    public static let splice: Splice = {
        guard let symbol = dlsym(nil, "splice") else { fatalError("libc has no splice") }
        return unsafeBitCast(symbol, to: Splice.self)
    }()

    /// SPLICE_F_MOVE | SPLICE_F_NONBLOCK.
    public static let spliceFlags: UInt32 = 1 | 2

    public static let nonBlockingCloseOnExec = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

    /// What one `accept` on a listening socket gave.
    public enum AcceptOutcome {
        /// A connection (non-blocking, close-on-exec) and its peer's address.
        case accepted(fd: Int32, peer: sockaddr_storage)
        /// Interrupted, or the connection was aborted before it was taken: accept again.
        case again
        /// Out of descriptors or memory (errno `code`): stop polling the socket until some are freed, else a
        /// level-triggered listener is reported ready forever.
        case exhausted(code: Int32)
        /// Nothing left to accept (or another error): wait for the next readiness.
        case done
    }

    /// Accepts one connection from a non-blocking listening socket.
    public static func accept(_ listenFD: Int32) -> AcceptOutcome {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept4(listenFD, $0, &length, nonBlockingCloseOnExec) }
        }
        if fd >= 0 { return .accepted(fd: fd, peer: storage) }
        let code = errno
        switch code {
        case EINTR, ECONNABORTED: return .again
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(code: code)
        default: return .done
        }
    }

    /// A new non-blocking TCP socket of `endpoint`'s family, or -1 (errno set).
    public static func streamSocket(for endpoint: Endpoint) -> Int32 {
        let family = endpoint.address.family == .inet ? AF_INET : AF_INET6
        return socket(family, Int32(SOCK_STREAM.rawValue) | nonBlockingCloseOnExec, 0)
    }

    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32 = 1) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    public static func setNoDelay(_ fd: Int32) { setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY) }

    /// Makes the next `close` send a reset instead of a FIN (`SO_LINGER` with a zero timeout).
    public static func setResetOnClose(_ fd: Int32) {
        var value = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
    }

    /// The pending error of a socket (a failed non-blocking connect).
    public static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    /// Starts a non-blocking connect; true when it completed or is under way.
    public static func connect(_ fd: Int32, to endpoint: Endpoint) -> Bool {
        let result = withSockaddr(endpoint) { Glibc.connect(fd, $0, $1) }
        return result == 0 || errno == EINPROGRESS
    }

    /// A listening socket on `endpoint` sharing the address with its siblings (`SO_REUSEPORT`).
    public static func listeningSocket(_ endpoint: Endpoint, backlog: Int32) throws(EpollEngineError) -> Int32 {
        let fd = streamSocket(for: endpoint)
        guard fd >= 0 else { throw EpollEngineError("socket", "for \(endpoint)") }
        setOption(fd, SOL_SOCKET, SO_REUSEADDR)
        setOption(fd, SOL_SOCKET, SO_REUSEPORT)
        // Accepted sockets inherit TCP_NODELAY from the listening socket: no setsockopt per accept.
        setNoDelay(fd)
        guard withSockaddr(endpoint, { Glibc.bind(fd, $0, $1) }) == 0 else {
            let error = EpollEngineError("bind", "\(endpoint)")
            close(fd)
            throw error
        }
        guard listen(fd, backlog) == 0 else {
            let error = EpollEngineError("listen", "\(endpoint)")
            close(fd)
            throw error
        }
        return fd
    }

    /// `count` listening sockets sharing `endpoint` (one per engine thread), all or none; with port 0 the first
    /// socket's port is taken by the others. Returns the sockets and the address actually bound.
    public static func listeningSockets(_ endpoint: Endpoint, count: Int, backlog: Int32) throws(EpollEngineError) -> (fds: [Int32], bound: Endpoint) {
        var fds: [Int32] = []
        var address = endpoint
        do {
            for _ in 0..<count {
                let fd = try listeningSocket(address, backlog: backlog)
                fds.append(fd)
                if address.port == 0, let local = localEndpoint(fd) { address = local }
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        return (fds, address)
    }

    /// The address a socket is bound to.
    public static func localEndpoint(_ fd: Int32) -> Endpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? endpoint(storage) : nil
    }

    /// The endpoint in a `sockaddr_storage` filled by the kernel (IPv4 or IPv6; nil otherwise).
    public static func endpoint(_ storage: sockaddr_storage) -> Endpoint? {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw -> Endpoint? in
            switch family {
            case AF_INET:
                let a = raw.loadUnaligned(as: sockaddr_in.self)
                return Endpoint(.v4(UInt32(bigEndian: a.sin_addr.s_addr)), UInt16(bigEndian: a.sin_port))
            case AF_INET6:
                let a = raw.loadUnaligned(as: sockaddr_in6.self)
                var address = a.sin6_addr
                let (high, low) = withUnsafeBytes(of: &address) { bytes in
                    (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
                     bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian)
                }
                return Endpoint(.v6(high, low), UInt16(bigEndian: a.sin6_port))
            default:
                return nil
            }
        }
    }

    /// Calls `body` with `endpoint` as a `sockaddr` and its length.
    public static func withSockaddr<T>(_ endpoint: Endpoint, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch endpoint.address {
        case let .v4(bits):
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = endpoint.port.bigEndian
            a.sin_addr.s_addr = bits.bigEndian
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case let .v6(high, low):
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = endpoint.port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { raw in
                raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}
