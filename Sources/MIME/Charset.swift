/// Decodes text in the charsets mail uses most: UTF-8, US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252; other
/// charsets are reported as unknown (nil), so callers can keep the text as written.
public enum Charset {
    /// The text, or nil for an unknown charset or bytes invalid in a strict one (UTF-8, US-ASCII). A charset may carry
    /// an RFC 2231 language (`utf-8*en`).
    public static func decode(_ bytes: some Collection<UInt8>, charset: String) -> String? {
        let name = charset.lowercased().split(separator: "*").first.map(String.init) ?? ""
        switch name {
        case "utf-8", "utf8":
            return String(validating: bytes, as: UTF8.self)
        case "us-ascii", "ascii", "ansi_x3.4-1968":
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin-9", "latin9":
            return String(String.UnicodeScalarView(bytes.map { latin9[$0] ?? Unicode.Scalar($0) }))
        case "windows-1252", "cp1252", "x-cp1252":
            return String(String.UnicodeScalarView(bytes.map { byte in
                guard byte >= 0x80, byte < 0xA0 else { return Unicode.Scalar(byte) }
                return Unicode.Scalar(windows1252[Int(byte - 0x80)]) ?? Unicode.Scalar(byte)
            }))
        default:
            return nil
        }
    }

    /// Windows-1252's 0x80...0x9F (the rest is ISO-8859-1); undefined positions map to the C1 control.
    private static let windows1252: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// Where ISO-8859-15 differs from ISO-8859-1.
    private static let latin9: [UInt8: Unicode.Scalar] = [
        0xA4: "\u{20AC}", 0xA6: "\u{0160}", 0xA8: "\u{0161}", 0xB4: "\u{017D}", 0xB8: "\u{017E}", 0xBC: "\u{0152}",
        0xBD: "\u{0153}", 0xBE: "\u{0178}",
    ]
}

/// RFC 4648 base64 decoding, lenient as mail needs: whitespace and junk skipped, missing padding tolerated.
enum Base64 {
    static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            let value: UInt8
            switch byte {
            case 0x41...0x5A: value = byte - 0x41
            case 0x61...0x7A: value = byte - 0x61 + 26
            case 0x30...0x39: value = byte - 0x30 + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): return out
            default: continue
            }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}

/// Quoted-printable decoding (RFC 2045 §6.7), lenient: soft line breaks removed, a malformed "=" kept as written.
enum QuotedPrintable {
    static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                index += 1
                continue
            }
            if index + 2 < bytes.count, let high = Hex.value(bytes[index + 1]), let low = Hex.value(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
                continue
            }
            // A soft line break: "=", optional trailing whitespace, then CR LF or LF.
            var next = index + 1
            while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
            if next < bytes.count, bytes[next] == 0x0A {
                index = next + 1
            } else if next + 1 < bytes.count, bytes[next] == 0x0D, bytes[next + 1] == 0x0A {
                index = next + 2
            } else if next == bytes.count {
                index = next
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }
}
