import Failover
import ShoalCore
import Testing

/// RFC 5798 §5 advertisements: golden bytes (checksums computed independently over the pseudo-header),
/// round trips, and every §7.1 check that must drop a packet.
@Suite struct VRRPCodecTests {
    static let source4 = IPAddress("192.168.1.10")!
    static let source6 = IPAddress("fe80::1")!

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test func ipv4GoldenBytes() throws {
        let advert = VRRPAdvertisement(virtualRouterID: 51, priority: 100, maxAdvertisementInterval: 100, addresses: [IPAddress("192.168.1.100")!])
        let bytes = try advert.encoded(source: Self.source4, destination: VRRPAdvertisement.multicastV4)
        #expect(bytes == Self.hex("3133640100640619c0a80164"))
        #expect(try VRRPAdvertisement(decoding: bytes, source: Self.source4, destination: VRRPAdvertisement.multicastV4, ttl: 255) == advert)
    }

    @Test func ipv4OwnerWithTwoAddressesAndSubSecondInterval() throws {
        let advert = VRRPAdvertisement(virtualRouterID: 7, priority: 255, maxAdvertisementInterval: 30,
                                       addresses: [IPAddress("10.0.0.100")!, IPAddress("10.0.0.101")!])
        let bytes = try advert.encoded(source: IPAddress("10.0.0.2")!, destination: VRRPAdvertisement.multicastV4)
        #expect(bytes == Self.hex("3107ff02001ed0790a0000640a000065"))
    }

    @Test func ipv6GoldenBytes() throws {
        let advert = VRRPAdvertisement(virtualRouterID: 51, priority: 100, maxAdvertisementInterval: 100, addresses: [IPAddress("2001:db8::100")!])
        let bytes = try advert.encoded(source: Self.source6, destination: VRRPAdvertisement.multicastV6)
        #expect(bytes == Self.hex("3133640100643d8f20010db8000000000000000000000100"))
        #expect(try VRRPAdvertisement(decoding: bytes, source: Self.source6, destination: VRRPAdvertisement.multicastV6, ttl: 255) == advert)
    }

    @Test func unicastDestinationChangesTheChecksum() throws {
        let advert = VRRPAdvertisement(virtualRouterID: 51, priority: 100, maxAdvertisementInterval: 100, addresses: [IPAddress("192.168.1.100")!])
        let peer = IPAddress("192.168.1.11")!
        let bytes = try advert.encoded(source: Self.source4, destination: peer)
        #expect(Array(bytes[6..<8]) != [0x06, 0x19])
        #expect(try VRRPAdvertisement(decoding: bytes, source: Self.source4, destination: peer, ttl: 255) == advert)
        #expect(throws: VRRPDecodingError.self) {
            try VRRPAdvertisement(decoding: bytes, source: Self.source4, destination: VRRPAdvertisement.multicastV4, ttl: 255)
        }
    }

    /// A whole datagram keepalived 2.2.7 sent (vrrp_version 3, vrid 51, priority 100, advert_int 0.3), read off a
    /// raw socket in a network namespace: header and payload as it arrived.
    @Test func keepalivedIPv4AdvertDecodesAndReencodesByteForByte() throws {
        let datagram = Self.hex("45c0002000170000ff70cfa60adc0002e000001231336401001e74000adc0064")
        let header = try #require(IPv4HeaderFields(datagram: datagram))
        #expect(header.ttl == 255 && header.source == IPAddress("10.220.0.2"))
        let advert = try VRRPAdvertisement(decoding: header.payload, source: header.source, destination: header.destination, ttl: header.ttl)
        #expect(advert == VRRPAdvertisement(virtualRouterID: 51, priority: 100, maxAdvertisementInterval: 30, addresses: [IPAddress("10.220.0.100")!]))
        #expect(try advert.encoded(source: header.source, destination: header.destination) == header.payload)
    }

    /// keepalived 2.2.7's IPv6 advert (vrid 52) from its link-local address to ff02::12.
    @Test func keepalivedIPv6AdvertDecodesAndReencodesByteForByte() throws {
        let payload = Self.hex("31346401001ec3a3fd000220000000000000000000000100")
        let source = IPAddress("fe80::864:45ff:fe52:5c13")!
        let advert = try VRRPAdvertisement(decoding: payload, source: source, destination: VRRPAdvertisement.multicastV6, ttl: 255)
        #expect(advert == VRRPAdvertisement(virtualRouterID: 52, priority: 100, maxAdvertisementInterval: 30, addresses: [IPAddress("fd00:220::100")!]))
        #expect(try advert.encoded(source: source, destination: VRRPAdvertisement.multicastV6) == payload)
    }

    static let valid = hex("3133640100640619c0a80164")
    static func decode(_ bytes: [UInt8], ttl: UInt8 = 255) throws(VRRPDecodingError) -> VRRPAdvertisement {
        try VRRPAdvertisement(decoding: bytes, source: source4, destination: VRRPAdvertisement.multicastV4, ttl: ttl)
    }

    @Test func wrongTTLIsDropped() {
        for ttl: UInt8 in [0, 1, 64, 254] {
            #expect(throws: VRRPDecodingError.wrongTTL(ttl)) { try Self.decode(Self.valid, ttl: ttl) }
        }
    }

    @Test func wrongVersionIsDropped() {
        var bytes = Self.valid
        bytes[0] = 0x21
        #expect(throws: VRRPDecodingError.unsupportedVersion(2)) { try Self.decode(bytes) }
    }

    @Test func unknownTypeIsDropped() {
        var bytes = Self.valid
        bytes[0] = 0x32
        #expect(throws: VRRPDecodingError.unknownType(2)) { try Self.decode(bytes) }
    }

    @Test func wrongChecksumIsDropped() {
        var bytes = Self.valid
        bytes[7] ^= 0x01
        #expect(throws: VRRPDecodingError.wrongChecksum(found: 0x0618, expected: 0x0619)) { try Self.decode(bytes) }
        var body = Self.valid
        body[2] = 101
        #expect(throws: VRRPDecodingError.self) { try Self.decode(body) }
    }

    @Test func shortAndTruncatedPacketsAreDropped() {
        for n in 0..<8 {
            #expect(throws: VRRPDecodingError.shorterThanHeader(n)) { try Self.decode(Array(Self.valid.prefix(n))) }
        }
        // An address count the bytes cannot hold (checksum fixed up so only the length check fails).
        let advert = VRRPAdvertisement(virtualRouterID: 51, priority: 100, maxAdvertisementInterval: 100, addresses: [IPAddress("192.168.1.100")!])
        var bytes = (try? advert.encoded(source: Self.source4, destination: VRRPAdvertisement.multicastV4)) ?? []
        bytes[3] = 2
        Self.fixChecksum(&bytes)
        #expect(throws: VRRPDecodingError.lengthMismatch(count: 2, bytes: 12)) { try Self.decode(bytes) }
    }

    @Test func zeroVirtualRouterIDIsDropped() {
        var bytes = Self.valid
        bytes[1] = 0
        Self.fixChecksum(&bytes)
        #expect(throws: VRRPDecodingError.zeroVirtualRouterID) { try Self.decode(bytes) }
    }

    @Test func reservedBitsAreIgnoredButChecksummed() throws {
        var bytes = Self.valid
        bytes[4] |= 0xF0
        Self.fixChecksum(&bytes)
        #expect(try Self.decode(bytes).maxAdvertisementInterval == 100)
    }

    @Test func encodingRefusesWhatCannotBeSent() {
        let base = VRRPAdvertisement(virtualRouterID: 1, priority: 1, maxAdvertisementInterval: 4096, addresses: [])
        #expect(throws: VRRPEncodingError.intervalOutOfRange(4096)) { try base.encoded(source: Self.source4, destination: VRRPAdvertisement.multicastV4) }
        let mixed = VRRPAdvertisement(virtualRouterID: 1, priority: 1, maxAdvertisementInterval: 1, addresses: [Self.source6])
        #expect(throws: VRRPEncodingError.addressFamilyMismatch(Self.source6)) { try mixed.encoded(source: Self.source4, destination: VRRPAdvertisement.multicastV4) }
    }

    @Test func ipv4HeaderFieldsAreRead() {
        var datagram: [UInt8] = [0x45, 0xc0, 0, 32, 0, 0, 0x40, 0, 255, 112, 0, 0, 192, 168, 1, 10, 224, 0, 0, 18]
        datagram += Self.valid
        let header = IPv4HeaderFields(datagram: datagram)
        #expect(header?.source == Self.source4)
        #expect(header?.destination == VRRPAdvertisement.multicastV4)
        #expect(header?.ttl == 255)
        #expect(header?.ipProtocol == 112)
        #expect(header?.payload == Self.valid)
        #expect(IPv4HeaderFields(datagram: Array(datagram.prefix(19))) == nil)
        var options = datagram
        options[0] = 0x4f  // IHL 60 > 32 bytes
        #expect(IPv4HeaderFields(datagram: options) == nil)
    }

    static func fixChecksum(_ bytes: inout [UInt8]) {
        bytes[6] = 0
        bytes[7] = 0
        let pseudo = InternetChecksum.pseudoHeaderSum(source: source4, destination: VRRPAdvertisement.multicastV4, protocol: 112, length: bytes.count)
        let sum = InternetChecksum.checksum(bytes, initial: pseudo)
        bytes[6] = UInt8(sum >> 8)
        bytes[7] = UInt8(sum & 0xff)
    }
}
