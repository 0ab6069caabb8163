#if canImport(Glibc)
import Glibc
#endif
import ShoalCore

/// Sends gratuitous ARPs (AF_PACKET, to the broadcast address) and unsolicited neighbour advertisements
/// (raw ICMPv6 to ff02::1, hop limit 255) for the virtual addresses on one interface.
final class Announcer: @unchecked Sendable {
    let interface: NetworkInterface

    init(interface: NetworkInterface) { self.interface = interface }

    /// Announces every address once; returns how many packets went out.
    @discardableResult
    func announce(_ addresses: [IPAddress]) -> Int {
        guard interface.hardwareAddress.count == 6 else { return 0 }
        var sent = 0
        let v4 = addresses.filter { $0.family == .inet }
        let v6 = addresses.filter { $0.family == .inet6 }
        if !v4.isEmpty { sent += sendARP(v4) }
        if !v6.isEmpty { sent += sendNA(v6) }
        return sent
    }

    private func sendARP(_ addresses: [IPAddress]) -> Int {
        let protocolARP: UInt16 = 0x0806  // ETH_P_ARP
        let fd = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(protocolARP.bigEndian))
        guard fd >= 0 else { return 0 }
        defer { Glibc.close(fd) }
        // struct sockaddr_ll: family(2) protocol(2, network order) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
        var link = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { link.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: protocolARP.bigEndian) { link.replaceSubrange(2..<4, with: $0) }
        withUnsafeBytes(of: Int32(bitPattern: interface.index)) { link.replaceSubrange(4..<8, with: $0) }
        link[11] = 6
        for i in 12..<18 { link[i] = 0xff }
        var sent = 0
        for address in addresses {
            let payload = AddressAnnouncement.gratuitousARP(hardwareAddress: interface.hardwareAddress, address: address)
            let result = payload.withUnsafeBytes { data in
                link.withUnsafeBytes { sendto(fd, data.baseAddress, data.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(20)) }
            }
            if result == payload.count { sent += 1 }
        }
        return sent
    }

    private func sendNA(_ addresses: [IPAddress]) -> Int {
        let fd = socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMPV6))
        guard fd >= 0 else { return 0 }
        defer { Glibc.close(fd) }
        var hops: Int32 = 255
        var index = Int32(bitPattern: interface.index)
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, &hops, socklen_t(4))
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &index, socklen_t(4))
        var destination = VRRPSocket.socketAddress(IPAddress("ff02::1")!, scope: interface.index)
        var sent = 0
        for address in addresses {
            let payload = AddressAnnouncement.unsolicitedNeighborAdvertisement(hardwareAddress: interface.hardwareAddress, target: address)
            let result = payload.withUnsafeBytes { data in
                withUnsafeBytes(of: &destination.storage) {
                    sendto(fd, data.baseAddress, data.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), destination.length)
                }
            }
            if result == payload.count { sent += 1 }
        }
        return sent
    }
}
