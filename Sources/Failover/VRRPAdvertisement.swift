public import ShoalCore

/// One VRRPv3 (RFC 5798 §5.2) advertisement: a router's priority, its advertisement interval and the virtual
/// addresses it backs up. VRRPv3 has no authentication (RFC 5798 §9 removed VRRPv2's); none is read or sent.
public struct VRRPAdvertisement: Hashable, Sendable {
    /// The only version this codec speaks.
    public static let version: UInt8 = 3
    /// The only message type RFC 5798 defines (ADVERTISEMENT).
    public static let advertisementType: UInt8 = 1
    /// IP protocol number of VRRP.
    public static let ipProtocol: UInt8 = 112
    /// The TTL / hop limit every advertisement is sent and must be received with (RFC 5798 §5.1.1.3, §7.1).
    public static let requiredTTL: UInt8 = 255
    /// The IPv4 multicast group adverts go to (RFC 5798 §5.1.1.2).
    public static let multicastV4 = IPAddress.v4(0xE000_0012)
    /// The IPv6 multicast group adverts go to (RFC 5798 §5.1.2.2).
    public static let multicastV6 = IPAddress("ff02::12")!
    /// The largest advertisement interval the 12-bit field carries, in centiseconds.
    public static let maximumInterval: UInt16 = 0x0FFF

    /// Virtual router identifier, 1...255.
    public var virtualRouterID: UInt8
    /// The sender's priority: 255 for the address owner, 0 when a master gives up.
    public var priority: UInt8
    /// The sender's advertisement interval in centiseconds (12 bits).
    public var maxAdvertisementInterval: UInt16
    /// The virtual addresses, all of the packet's family.
    public var addresses: [IPAddress]

    public init(virtualRouterID: UInt8, priority: UInt8, maxAdvertisementInterval: UInt16, addresses: [IPAddress]) {
        self.virtualRouterID = virtualRouterID
        self.priority = priority
        self.maxAdvertisementInterval = maxAdvertisementInterval
        self.addresses = addresses
    }
}

/// Why a received advertisement was dropped (RFC 5798 §7.1's checks), counted by the receiver.
public enum VRRPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    case shorterThanHeader(Int)
    case wrongTTL(UInt8)
    case unsupportedVersion(UInt8)
    case unknownType(UInt8)
    case wrongChecksum(found: UInt16, expected: UInt16)
    case lengthMismatch(count: Int, bytes: Int)
    case familyMismatch
    case zeroVirtualRouterID
    case tooManyAddresses(Int)

    /// A short name for counters (`vrrp_dropped_total{reason=...}`).
    public var reason: String {
        switch self {
        case .shorterThanHeader, .lengthMismatch, .tooManyAddresses: return "length"
        case .wrongTTL: return "ttl"
        case .unsupportedVersion: return "version"
        case .unknownType: return "type"
        case .wrongChecksum: return "checksum"
        case .familyMismatch: return "family"
        case .zeroVirtualRouterID: return "vrid"
        }
    }

    public var description: String {
        switch self {
        case let .shorterThanHeader(n): return "advertisement of \(n) bytes is shorter than the 8-byte header"
        case let .wrongTTL(ttl): return "TTL/hop limit \(ttl), not 255"
        case let .unsupportedVersion(v): return "VRRP version \(v), not 3"
        case let .unknownType(t): return "VRRP type \(t), not 1 (advertisement)"
        case let .wrongChecksum(found, expected): return "checksum 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16))"
        case let .lengthMismatch(count, bytes): return "\(count) addresses do not fit \(bytes) bytes"
        case .familyMismatch: return "source and destination addresses are of different families"
        case .zeroVirtualRouterID: return "virtual router id 0"
        case let .tooManyAddresses(n): return "\(n) addresses (at most 255)"
        }
    }
}

/// Why an advertisement cannot be encoded.
public enum VRRPEncodingError: Error, Hashable, Sendable {
    case tooManyAddresses(Int)
    case intervalOutOfRange(UInt16)
    case addressFamilyMismatch(IPAddress)
}
