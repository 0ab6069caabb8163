public import ShoalCore

extension VRRPAdvertisement {
    /// The advertisement as the VRRP part of an IP packet from `source` to `destination`, checksum included
    /// (computed over the pseudo-header, RFC 5798 §5.2.8, as keepalived does for version 3).
    public func encoded(source: IPAddress, destination: IPAddress) throws(VRRPEncodingError) -> [UInt8] {
        guard addresses.count <= 255 else { throw .tooManyAddresses(addresses.count) }
        guard maxAdvertisementInterval <= Self.maximumInterval else { throw .intervalOutOfRange(maxAdvertisementInterval) }
        for address in addresses + [destination] where address.family != source.family { throw .addressFamilyMismatch(address) }
        var bytes: [UInt8] = [Self.version << 4 | Self.advertisementType, virtualRouterID, priority, UInt8(addresses.count),
                              UInt8(maxAdvertisementInterval >> 8), UInt8(maxAdvertisementInterval & 0xff), 0, 0]
        for address in addresses { bytes += InternetChecksum.addressBytes(address) }
        let pseudo = InternetChecksum.pseudoHeaderSum(source: source, destination: destination, protocol: Self.ipProtocol, length: bytes.count)
        let checksum = InternetChecksum.checksum(bytes, initial: pseudo)
        bytes[6] = UInt8(checksum >> 8)
        bytes[7] = UInt8(checksum & 0xff)
        return bytes
    }

    /// Decodes the VRRP part of a received packet after RFC 5798 §7.1's checks: TTL/hop limit 255, version 3,
    /// type 1, checksum over the pseudo-header, a length that holds the address count. Never traps.
    public init(decoding bytes: [UInt8], source: IPAddress, destination: IPAddress, ttl: UInt8) throws(VRRPDecodingError) {
        guard ttl == Self.requiredTTL else { throw .wrongTTL(ttl) }
        guard source.family == destination.family else { throw .familyMismatch }
        guard bytes.count >= 8 else { throw .shorterThanHeader(bytes.count) }
        let version = bytes[0] >> 4
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let type = bytes[0] & 0x0f
        guard type == Self.advertisementType else { throw .unknownType(type) }
        let pseudo = InternetChecksum.pseudoHeaderSum(source: source, destination: destination, protocol: Self.ipProtocol, length: bytes.count)
        let found = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        var zeroed = bytes
        zeroed[6] = 0
        zeroed[7] = 0
        let expected = InternetChecksum.checksum(zeroed, initial: pseudo)
        guard found == expected else { throw .wrongChecksum(found: found, expected: expected) }
        guard bytes[1] != 0 else { throw .zeroVirtualRouterID }
        let count = Int(bytes[3])
        let size = source.family == .inet ? 4 : 16
        guard 8 + count * size <= bytes.count else { throw .lengthMismatch(count: count, bytes: bytes.count) }
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(count)
        for index in 0..<count {
            guard let address = InternetChecksum.address(bytes, at: 8 + index * size, family: source.family) else {
                throw .lengthMismatch(count: count, bytes: bytes.count)
            }
            addresses.append(address)
        }
        self.init(virtualRouterID: bytes[1], priority: bytes[2],
                  maxAdvertisementInterval: (UInt16(bytes[4]) << 8 | UInt16(bytes[5])) & Self.maximumInterval, addresses: addresses)
    }
}

/// The fields of a received IPv4 header a VRRP receiver needs (raw IPv4 sockets deliver the header).
public struct IPv4HeaderFields: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var ttl: UInt8
    public var ipProtocol: UInt8
    /// Where the payload starts (IHL × 4).
    public var headerLength: Int
    /// The payload, cut to the header's total length.
    public var payload: [UInt8]

    /// Parses a datagram as read from a raw IPv4 socket; nil when it is not a whole IPv4 header and payload.
    public init?(datagram: [UInt8]) {
        guard datagram.count >= 20, datagram[0] >> 4 == 4 else { return nil }
        let ihl = Int(datagram[0] & 0x0f) * 4
        guard ihl >= 20, ihl <= datagram.count else { return nil }
        let total = Int(datagram[2]) << 8 | Int(datagram[3])
        // The kernel may report the total length in host order on some paths; accept the datagram's own size then.
        let end = total >= ihl && total <= datagram.count ? total : datagram.count
        guard let source = InternetChecksum.address(datagram, at: 12, family: .inet),
              let destination = InternetChecksum.address(datagram, at: 16, family: .inet) else { return nil }
        self.source = source
        self.destination = destination
        ttl = datagram[8]
        ipProtocol = datagram[9]
        headerLength = ihl
        payload = Array(datagram[ihl..<end])
    }
}
