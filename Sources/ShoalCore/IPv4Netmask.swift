/// IPv4 netmasks as 32-bit values in host order (`0xffff_ff00` is 255.255.255.0).
public enum IPv4Netmask {
    /// The mask with the first `prefixLength` bits set; nil outside 0...32.
    public static func mask(prefixLength: Int) -> UInt32? {
        guard (0...32).contains(prefixLength) else { return nil }
        return prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength)
    }

    /// The prefix length of a contiguous mask (ones then zeros); nil for a mask like 255.0.255.0.
    public static func prefixLength(_ mask: UInt32) -> Int? {
        let inverted = ~mask
        guard inverted & (inverted &+ 1) == 0 else { return nil }
        return mask.nonzeroBitCount
    }
}
