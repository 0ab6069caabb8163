/// IMAP string syntax (RFC 3501 §4.3) written as Dovecot 2.3 writes it: quoted when it can be, a literal
/// (`{n}\r\n` and the octets) for CR, LF, 8-bit octets or more than four quoted-specials; NIL for nil.
public enum IMAPString {
    /// Dovecot's `imap_append_nstring`.
    public static func append(_ string: String?, to out: inout [UInt8]) { append(string.map { Array($0.utf8) }, to: &out) }

    /// The same over octets.
    public static func append(_ bytes: [UInt8]?, to out: inout [UInt8]) {
        guard let bytes else { out += Array("NIL".utf8); return }
        appendBytes(bytes, to: &out)
    }

    /// The same with CR and LF removed first (`imap_append_nstring_nolf`): a folded header value on one line.
    public static func appendUnfolded(_ string: String?, to out: inout [UInt8]) {
        appendUnfolded(string.map { Array($0.utf8) }, to: &out)
    }

    /// The same over octets.
    public static func appendUnfolded(_ bytes: [UInt8]?, to out: inout [UInt8]) {
        guard let bytes else { out += Array("NIL".utf8); return }
        var unfolded: [UInt8] = []
        unfolded.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0D { continue }
            if byte == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] != 0x20, bytes[index + 1] != 0x09 { unfolded.append(0x20) }
                continue
            }
            unfolded.append(byte)
        }
        appendBytes(unfolded, to: &out)
    }

    /// Dovecot's `imap_append_string_for_humans` (subjects and display names): line breaks dropped, runs of
    /// whitespace made one space, ends trimmed, NUL shown as 0x80; changed text is sent as a literal.
    public static func appendForHumans(_ string: String?, to out: inout [UInt8]) {
        appendForHumans(string.map { Array($0.utf8) }, to: &out)
    }

    /// The same over octets.
    public static func appendForHumans(_ bytes: [UInt8]?, to out: inout [UInt8]) {
        guard let src = bytes else { out += Array("NIL".utf8); return }
        var modify = false
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(src.count)
        var lastWhitespace = true
        for byte in src {
            switch byte {
            case 0:
                cleaned.append(0x80)
                lastWhitespace = false
                modify = true
            case 0x09, 0x20:
                if byte == 0x09 || lastWhitespace { modify = true }
                if !lastWhitespace { cleaned.append(0x20) }
                lastWhitespace = true
            case 0x0D, 0x0A:
                modify = true
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                modify = true
                lastWhitespace = false
                cleaned.append(byte)
            default:
                if byte >= 0x80 { modify = true }
                lastWhitespace = false
                cleaned.append(byte)
            }
        }
        if cleaned.last == 0x20 {
            cleaned.removeLast()
            modify = true
        }
        if !modify {
            out.append(UInt8(ascii: "\""))
            out += src
            out.append(UInt8(ascii: "\""))
        } else if cleaned.isEmpty {
            out += [UInt8(ascii: "\""), UInt8(ascii: "\"")]
        } else {
            appendLiteral(cleaned, to: &out)
        }
    }

    /// The bytes as a quoted string or a literal.
    public static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        var escapes = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                escapes += 1
                if escapes > 4 { appendLiteral(bytes, to: &out); return }
            case 0x0D, 0x0A, 0x80...0xFF, 0:
                appendLiteral(bytes, to: &out)
                return
            default: break
            }
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `{n}\r\n` and the octets.
    public static func appendLiteral(_ bytes: [UInt8], to out: inout [UInt8]) {
        out += Array("{\(bytes.count)}\r\n".utf8)
        out += bytes
    }
}
