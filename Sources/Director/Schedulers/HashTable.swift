/// Kernel hash helpers shared by dh, sh and mh.
enum KernelHash {
    /// hash_32 (include/linux/hash.h): multiply by GOLDEN_RATIO_32 and keep the top `bits`.
    @inline(__always)
    static func hash32(_ value: UInt32, bits: Int) -> UInt32 {
        (value &* 0x61C8_8647) >> UInt32(32 - bits)
    }

    /// hsiphash on a 64-bit kernel: SipHash-1-3 with a 128-bit key, truncated to 32 bits.
    static func hsiphash(_ value: UInt32, k0: UInt64, k1: UInt64) -> UInt32 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1
        @inline(__always) func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }
        @inline(__always) func round() {
            v0 = v0 &+ v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = v2 &+ v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }
        // Four bytes of data: no full 8-byte block, the tail carries the length in its top byte.
        let b: UInt64 = (UInt64(4) << 56) | UInt64(value)
        v3 ^= b
        round()
        v0 ^= b
        v2 ^= 0xff
        round(); round(); round()
        return UInt32(truncatingIfNeeded: (v0 ^ v1) ^ (v2 ^ v3))
    }
}
