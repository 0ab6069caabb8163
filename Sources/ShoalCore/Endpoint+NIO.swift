#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore

extension Endpoint {
    /// The endpoint of an IPv4 or IPv6 socket address (read from the sockaddr, no text); nil for Unix sockets.
    public init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case let .v4(a):
            self.init(.v4(UInt32(bigEndian: a.address.sin_addr.s_addr)), UInt16(bigEndian: a.address.sin_port))
        case let .v6(a):
            var storage = a.address.sin6_addr
            let (high, low) = withUnsafeBytes(of: &storage) { raw in
                (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian, raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian)
            }
            self.init(.v6(high, low), UInt16(bigEndian: a.address.sin6_port))
        case .unixDomainSocket:
            return nil
        }
    }

    /// The socket address to connect or bind to (built from the integers, no text).
    public var socketAddress: SocketAddress {
        switch address {
        case let .v4(bits):
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = bits.bigEndian
            return SocketAddress(a, host: "")
        case let .v6(high, low):
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { raw in
                raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            return SocketAddress(a, host: "")
        }
    }
}
