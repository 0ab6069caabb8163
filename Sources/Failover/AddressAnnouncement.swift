public import ShoalCore

/// The packets that tell a link a virtual address moved: a gratuitous ARP request (IPv4, as keepalived sends it:
/// sender and target both the VIP, target hardware address broadcast) and an unsolicited neighbour
/// advertisement (IPv6, RFC 4861 §7.2.6, Override flag set, the target link-layer address option).
public enum AddressAnnouncement {
    /// The 28-byte ARP payload (the kernel adds the Ethernet header when sent on an AF_PACKET SOCK_DGRAM socket).
    public static func gratuitousARP(hardwareAddress mac: [UInt8], address: IPAddress) -> [UInt8] {
        let ip = InternetChecksum.addressBytes(address)
        return [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01] + mac + ip + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + ip
    }

    /// The ICMPv6 neighbour advertisement (type 136) with a zero checksum: the kernel fills it in on raw ICMPv6 sockets.
    public static func unsolicitedNeighborAdvertisement(hardwareAddress mac: [UInt8], target: IPAddress, router: Bool = false) -> [UInt8] {
        let flags: UInt8 = 0x20 | (router ? 0x80 : 0)  // Override (+ Router)
        return [136, 0, 0, 0, flags, 0, 0, 0] + InternetChecksum.addressBytes(target) + [2, 1] + mac
    }
}
