/// Lower-case hexadecimal text of bytes (digests in file names and checksums), two digits a byte, without
/// Foundation's per-byte `String(format:)`.
public enum Hex {
    /// `bytes` as lower-case hex digits.
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            digits.append(table[Int(byte >> 4)])
            digits.append(table[Int(byte & 0x0f)])
        }
        return String(decoding: digits, as: UTF8.self)
    }

    static let table: [UInt8] = Array("0123456789abcdef".utf8)
}
