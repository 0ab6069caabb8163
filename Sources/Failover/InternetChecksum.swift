public import ShoalCore

/// The RFC 1071 internet checksum, and the IPv4/IPv6 pseudo-headers VRRPv3 folds into it (RFC 5798 §5.2.8).
public enum InternetChecksum {
    /// The one's complement of the one's complement sum of `bytes` (odd lengths padded with a zero byte),
    /// started from `initial` (a partial sum, e.g. of a pseudo-header).
    public static func checksum(_ bytes: some Collection<UInt8>, initial: UInt32 = 0) -> UInt16 {
        ~fold(sum(bytes, initial: initial))
    }

    /// The unfolded 32-bit sum of big-endian 16-bit words.
    public static func sum(_ bytes: some Collection<UInt8>, initial: UInt32 = 0) -> UInt32 {
        var total = UInt64(initial)
        var high: UInt8? = nil
        for byte in bytes {
            if let h = high {
                total += UInt64(h) << 8 | UInt64(byte)
                high = nil
            } else {
                high = byte
            }
        }
        if let h = high { total += UInt64(h) << 8 }
        while total >> 32 != 0 { total = (total & 0xFFFF_FFFF) + (total >> 32) }
        return UInt32(total)
    }

    /// Folds carries into 16 bits.
    public static func fold(_ value: UInt32) -> UInt16 {
        var v = value
        while v >> 16 != 0 { v = (v & 0xFFFF) + (v >> 16) }
        return UInt16(v)
    }

    /// The sum of the pseudo-header for an upper-layer message of `length` bytes of protocol `proto`
    /// (IPv4: RFC 768's layout; IPv6: RFC 8200 §8.1's). The addresses must be of one family.
    public static func pseudoHeaderSum(source: IPAddress, destination: IPAddress, protocol proto: UInt8, length: Int) -> UInt32 {
        var header = addressBytes(source) + addressBytes(destination)
        switch source {
        case .v4:
            header += [0, proto, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        case .v6:
            header += [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                       UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length), 0, 0, 0, proto]
        }
        return sum(header)
    }

    /// An address in network byte order (4 or 16 bytes).
    public static func addressBytes(_ address: IPAddress) -> [UInt8] {
        switch address {
        case let .v4(v):
            return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        case let .v6(hi, lo):
            return (0..<8).map { UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64($0))) }
        }
    }

    /// An address from 4 or 16 network-order bytes starting at `offset` (nil when they are not there).
    public static func address(_ bytes: [UInt8], at offset: Int, family: AddressFamily) -> IPAddress? {
        let size = family == .inet ? 4 : 16
        guard offset >= 0, offset + size <= bytes.count else { return nil }
        if family == .inet {
            var v: UInt32 = 0
            for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
            return .v4(v)
        }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(bytes[offset + i]) }
        return .v6(hi, lo)
    }
}
