#if canImport(Glibc)
import Glibc
#endif
public import ShoalCore

/// What VRRP needs to know about one interface, read with getifaddrs(3): index, link-layer address, addresses, up.
public struct NetworkInterface: Hashable, Sendable {
    public var name: String
    public var index: UInt32
    /// The Ethernet address (6 bytes), when the interface has one.
    public var hardwareAddress: [UInt8]
    public var ipv4Addresses: [IPAddress]
    /// Every IPv6 address.
    public var ipv6Addresses: [IPAddress] = []
    /// fe80::/10 addresses.
    public var linkLocalIPv6: [IPAddress]
    /// IFF_UP and IFF_RUNNING (carrier) both set.
    public var isUp: Bool

    /// The interface named `name`, or nil when there is none.
    public static func lookup(_ name: String) -> NetworkInterface? {
        let index = if_nametoindex(name)
        guard index != 0 else { return nil }
        var result = NetworkInterface(name: name, index: index, hardwareAddress: [], ipv4Addresses: [], linkLocalIPv6: [], isUp: false)
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return result }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard String(cString: entry.pointee.ifa_name) == name else { continue }
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            result.isUp = flags & 0x1 != 0 && flags & 0x40 != 0  // IFF_UP, IFF_RUNNING
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    result.ipv4Addresses.append(.v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)))
                }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                if let ip = InternetChecksum.address(bytes, at: 0, family: .inet6) {
                    result.ipv6Addresses.append(ip)
                    if bytes[0] == 0xfe, bytes[1] & 0xc0 == 0x80 { result.linkLocalIPv6.append(ip) }
                }
            case AF_PACKET:
                // struct sockaddr_ll: family(2) protocol(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
                let raw = UnsafeRawPointer(address)
                let length = Int(raw.load(fromByteOffset: 11, as: UInt8.self))
                if length == 6 { result.hardwareAddress = (0..<6).map { raw.load(fromByteOffset: 12 + $0, as: UInt8.self) } }
            default:
                break
            }
        }
        return result
    }
}
