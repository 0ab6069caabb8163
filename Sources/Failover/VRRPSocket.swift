#if canImport(Glibc)
import Glibc
#endif
public import ShoalCore

/// A received VRRP packet with what RFC 5798 §7.1 checks outside the VRRP header.
public struct ReceivedVRRPPacket: Sendable {
    public var payload: [UInt8]
    public var source: IPAddress
    public var destination: IPAddress
    public var ttl: UInt8
}

/// Raw IP protocol 112 sockets on one interface: one bound to the source address for sending (so the kernel
/// puts it in the IP header the checksum's pseudo-header names), one unbound for receiving (a bound raw
/// socket only sees packets to its own address), joined to 224.0.0.18 / ff02::12 on the interface.
final class VRRPSocket: @unchecked Sendable {
    // <netinet/in.h> values Glibc's module does not always export (they sit behind _GNU_SOURCE).
    static let recvPacketInfo: Int32 = 49
    static let packetInfo: Int32 = 50
    static let recvHopLimit: Int32 = 51
    static let hopLimit: Int32 = 52

    let family: AddressFamily
    let interface: NetworkInterface
    let source: IPAddress
    let receiveDescriptor: Int32
    private let sendDescriptor: Int32

    init(interface: NetworkInterface, source: IPAddress) throws(FailoverError) {
        self.interface = interface
        self.source = source
        family = source.family
        let domain = family == .inet ? AF_INET : AF_INET6
        let receiver = socket(domain, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), Int32(VRRPAdvertisement.ipProtocol))
        guard receiver >= 0 else { throw .system("socket(raw, protocol 112) on \(interface.name)") }
        let sender = socket(domain, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(VRRPAdvertisement.ipProtocol))
        guard sender >= 0 else {
            Glibc.close(receiver)
            throw .system("socket(raw, protocol 112) on \(interface.name)")
        }
        receiveDescriptor = receiver
        sendDescriptor = sender
        do {
            try configure()
        } catch {
            Glibc.close(receiver)
            Glibc.close(sender)
            throw error
        }
    }

    deinit {
        Glibc.close(receiveDescriptor)
        Glibc.close(sendDescriptor)
    }

    private func option<T>(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: T, _ what: String) throws(FailoverError) {
        var copy = value
        let result = withUnsafePointer(to: &copy) { setsockopt(fd, level, name, $0, socklen_t(MemoryLayout<T>.size)) }
        guard result == 0 else { throw .system("setsockopt(\(what)) on \(interface.name)") }
    }

    private func configure() throws(FailoverError) {
        let name = Array(interface.name.utf8CString)
        for fd in [receiveDescriptor, sendDescriptor] {
            let result = name.withUnsafeBufferPointer { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0.baseAddress, socklen_t($0.count)) }
            guard result == 0 else { throw .system("SO_BINDTODEVICE \(interface.name)") }
        }
        let index = Int32(bitPattern: interface.index)
        if family == .inet {
            var request = ip_mreqn()
            request.imr_multiaddr.s_addr = UInt32(0xE000_0012).bigEndian
            request.imr_ifindex = index
            try option(receiveDescriptor, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, request, "IP_ADD_MEMBERSHIP 224.0.0.18")
            try option(sendDescriptor, Int32(IPPROTO_IP), IP_MULTICAST_IF, request, "IP_MULTICAST_IF")
            try option(sendDescriptor, Int32(IPPROTO_IP), IP_MULTICAST_TTL, Int32(255), "IP_MULTICAST_TTL")
            try option(sendDescriptor, Int32(IPPROTO_IP), IP_TTL, Int32(255), "IP_TTL")
            try option(sendDescriptor, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, Int32(0), "IP_MULTICAST_LOOP")
            var address = Self.socketAddress(source, scope: 0)
            let bound = withUnsafeBytes(of: &address.storage) { bind(sendDescriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length) }
            guard bound == 0 else { throw .system("bind \(source) on \(interface.name)") }
        } else {
            var request = ipv6_mreq()
            withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { $0.copyBytes(from: InternetChecksum.addressBytes(VRRPAdvertisement.multicastV6)) }
            request.ipv6mr_interface = UInt32(index)
            try option(receiveDescriptor, Int32(IPPROTO_IPV6), IPV6_JOIN_GROUP, request, "IPV6_ADD_MEMBERSHIP ff02::12")
            try option(receiveDescriptor, Int32(IPPROTO_IPV6), Self.recvHopLimit, Int32(1), "IPV6_RECVHOPLIMIT")
            try option(receiveDescriptor, Int32(IPPROTO_IPV6), Self.recvPacketInfo, Int32(1), "IPV6_RECVPKTINFO")
            try option(sendDescriptor, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, index, "IPV6_MULTICAST_IF")
            try option(sendDescriptor, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, Int32(255), "IPV6_MULTICAST_HOPS")
            try option(sendDescriptor, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, Int32(255), "IPV6_UNICAST_HOPS")
            try option(sendDescriptor, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, Int32(0), "IPV6_MULTICAST_LOOP")
            var address = Self.socketAddress(source, scope: interface.index)
            let bound = withUnsafeBytes(of: &address.storage) { bind(sendDescriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length) }
            guard bound == 0 else { throw .system("bind [\(source)%\(interface.name)]") }
        }
    }

    /// A sockaddr_in / sockaddr_in6 for `address` and `port`, in a storage big enough for either. Not ShoalCore's
    /// `Endpoint.socketAddress`: link-local and multicast IPv6 destinations need the interface as scope id.
    static func socketAddress(_ address: IPAddress, port: UInt16 = 0, scope: UInt32) -> (storage: sockaddr_storage, length: socklen_t) {
        var storage = sockaddr_storage()
        switch address {
        case let .v4(v):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = v.bigEndian
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: InternetChecksum.addressBytes(address)) }
            sin6.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }

    /// Sends one VRRP message (the kernel adds the IP header with TTL / hop limit 255).
    func send(_ bytes: [UInt8], to destination: IPAddress) throws(FailoverError) {
        var address = Self.socketAddress(destination, scope: interface.index)
        let sent = bytes.withUnsafeBytes { payload in
            withUnsafeBytes(of: &address.storage) {
                sendto(sendDescriptor, payload.baseAddress, payload.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length)
            }
        }
        guard sent == bytes.count else { throw .system("sendto \(destination) on \(interface.name)") }
    }

    /// The next queued packet, or nil when none is waiting (the socket is non-blocking). Reads at most 1500 bytes.
    func receive() -> ReceivedVRRPPacket? {
        family == .inet ? receive4() : receive6()
    }

    private func receive4() -> ReceivedVRRPPacket? {
        var buffer = [UInt8](repeating: 0, count: 1500)
        let count = buffer.withUnsafeMutableBytes { recv(receiveDescriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 { return nil }
        guard let header = IPv4HeaderFields(datagram: Array(buffer[0..<count])), header.ipProtocol == VRRPAdvertisement.ipProtocol else {
            // Not a whole IPv4 packet: an empty payload, which the codec drops as too short.
            return ReceivedVRRPPacket(payload: [], source: .v4(0), destination: .v4(0), ttl: VRRPAdvertisement.requiredTTL)
        }
        return ReceivedVRRPPacket(payload: header.payload, source: header.source, destination: header.destination, ttl: header.ttl)
    }

    private func receive6() -> ReceivedVRRPPacket? {
        var buffer = [UInt8](repeating: 0, count: 1500)
        var control = [UInt8](repeating: 0, count: 256)
        var from = sockaddr_in6()
        var count = 0
        var controlLength = 0
        buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { ancillary in
                withUnsafeMutablePointer(to: &from) { name in
                    var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    withUnsafeMutablePointer(to: &vector) { iov in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(name)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
                        message.msg_iov = iov
                        message.msg_iovlen = 1
                        message.msg_control = ancillary.baseAddress
                        message.msg_controllen = ancillary.count
                        count = recvmsg(receiveDescriptor, &message, 0)
                        controlLength = Int(message.msg_controllen)
                    }
                }
            }
        }
        if count < 0 { return nil }
        let fromBytes = withUnsafeBytes(of: from.sin6_addr) { Array($0) }
        var hopLimit: UInt8 = 0
        var destination = VRRPAdvertisement.multicastV6
        // struct cmsghdr: len (size_t), level (int), type (int), then data aligned to size_t.
        var offset = 0
        let headerSize = 16
        while offset + headerSize <= controlLength {
            let length = control[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            let level = Int32(control[offset + 8]) | Int32(control[offset + 9]) << 8
            let type = Int32(control[offset + 12]) | Int32(control[offset + 13]) << 8
            guard length >= headerSize, offset + length <= controlLength else { break }
            let data = offset + headerSize
            if level == Int32(IPPROTO_IPV6), type == Self.hopLimit, length >= headerSize + 4 {
                hopLimit = control[data]  // an int, little-endian, 0...255
            } else if level == Int32(IPPROTO_IPV6), type == Self.packetInfo, length >= headerSize + 16,
                      let address = InternetChecksum.address(control, at: data, family: .inet6) {
                destination = address
            }
            offset += (length + 7) & ~7
        }
        guard let source = InternetChecksum.address(fromBytes, at: 0, family: .inet6) else { return nil }
        return ReceivedVRRPPacket(payload: Array(buffer[0..<count]), source: source, destination: destination, ttl: hopLimit)
    }
}
