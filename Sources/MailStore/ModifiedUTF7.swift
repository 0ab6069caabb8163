/// Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): IMAP sends folder names in it, and Dovecot (and so
/// this store) names Maildir++ folder directories in it.
public enum ModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    private static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: ","): 63
        default: nil
        }
    }

    /// Encodes a Unicode name: printable ASCII stays (`&` becomes `&-`), the rest becomes `&<base64 of UTF-16>-`.
    public static func encode(_ name: String) -> String {
        var out: [UInt8] = []
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xFF)) }
            out.append(UInt8(ascii: "&"))
            var index = 0
            while index < bytes.count {
                let b0 = bytes[index], b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
                let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
                let available = min(3, bytes.count - index)
                out.append(alphabet[Int(b0 >> 2)])
                out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
                if available > 1 { out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
                if available > 2 { out.append(alphabet[Int(b2 & 0x3F)]) }
                index += 3
            }
            out.append(UInt8(ascii: "-"))
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out.append(UInt8(scalar.value))
                if scalar == "&" { out.append(UInt8(ascii: "-")) }
            } else {
                pending.append(contentsOf: Array(String(scalar).utf16))
            }
        }
        flush()
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a wire name; nil when it is not valid modified UTF-7 (8-bit or control bytes, a bad base64
    /// run, an encoded printable ASCII character, a lone surrogate, a missing `-`).
    public static func decode(_ wire: String) -> String? {
        let bytes = Array(wire.utf8)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 0x20 && byte <= 0x7E else { return nil }
            if byte != UInt8(ascii: "&") {
                out.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            if end == index + 1 {
                out.append("&")
                index = end + 1
                continue
            }
            var bits: UInt32 = 0, bitCount = 0
            var units: [UInt16] = []
            var octets: [UInt8] = []
            for b in bytes[(index + 1)..<end] {
                guard let v = value(b) else { return nil }
                bits = bits << 6 | UInt32(v)
                bitCount += 6
                if bitCount >= 8 {
                    bitCount -= 8
                    octets.append(UInt8((bits >> UInt32(bitCount)) & 0xFF))
                }
            }
            // Leftover bits must be fewer than 6 and zero; the octets must form whole UTF-16 units.
            guard bitCount < 6, bits & ((1 << UInt32(bitCount)) - 1) == 0, octets.count % 2 == 0 else { return nil }
            for i in stride(from: 0, to: octets.count, by: 2) { units.append(UInt16(octets[i]) << 8 | UInt16(octets[i + 1])) }
            var decoded = String.UnicodeScalarView()
            var iterator = units.makeIterator()
            var codec = UTF16()
            loop: while true {
                switch codec.decode(&iterator) {
                case let .scalarValue(scalar):
                    // Printable ASCII must not be encoded (RFC 3501 §5.1.3).
                    guard !(scalar.value >= 0x20 && scalar.value <= 0x7E) else { return nil }
                    decoded.append(scalar)
                case .emptyInput: break loop
                case .error: return nil
                }
            }
            out.append(contentsOf: decoded)
            index = end + 1
        }
        return String(out)
    }
}
