/// Decodes text in the charsets mail headers use most: UTF-8, US-ASCII, ISO-8859-1 (and its superset Windows-1252 as
/// Latin-1 without the C1 mapping); other charsets are reported as unknown (nil).
public enum Charset {
    /// The text, or nil for an unknown charset or bytes invalid in a strict one (UTF-8, US-ASCII).
    public static func decode(_ bytes: some Collection<UInt8>, charset: String) -> String? {
        switch charset.lowercased().split(separator: "*").first.map(String.init) ?? "" {
        case "utf-8", "utf8":
            return String(validating: bytes, as: UTF8.self)
        case "us-ascii", "ascii", "ansi_x3.4-1968":
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1", "iso8859-1", "latin1", "iso_8859-1", "l1", "windows-1252", "cp1252":
            return String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
        default:
            return nil
        }
    }
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
