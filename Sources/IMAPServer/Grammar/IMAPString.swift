/// Encoding strings for responses (RFC 3501 §4.3): atom, quoted or literal, whichever the bytes allow.
public enum IMAPString {
    /// Longest string sent quoted; longer ones go as literals.
    static let maximumQuotedLength = 1024

    /// Whether the bytes can be sent quoted: 7-bit, no CR, LF or NUL, short, and not mostly `"` or `\`.
    static func canQuote(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count <= maximumQuotedLength else { return false }
        var escapes = 0
        for byte in bytes {
            guard IMAPByteClass.isChar(byte), byte != 0x0D, byte != 0x0A else { return false }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { escapes += 1 }
        }
        return escapes <= 4 || escapes * 4 <= bytes.count
    }

    /// A string: quoted (`"a \"b\""`) when safe, else a literal `{n}\r\n` followed by the bytes.
    public static func render(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if canQuote(bytes) {
            var out: [UInt8] = [UInt8(ascii: "\"")]
            out.reserveCapacity(bytes.count + 2)
            for byte in bytes {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
            return out
        }
        var out = Array("{\(bytes.count)}\r\n".utf8)
        out.append(contentsOf: bytes)
        return out
    }

    /// An nstring: `NIL` for nil, else a quoted string or a literal.
    public static func renderNString(_ bytes: [UInt8]?) -> [UInt8] {
        guard let bytes else { return Array("NIL".utf8) }
        return render(bytes)
    }

    /// A string from text (its UTF-8), quoted or literal; `NIL` for nil.
    public static func render(_ text: String?) -> String {
        guard let text else { return "NIL" }
        return String(decoding: render(Array(text.utf8)), as: UTF8.self)
    }

    /// An astring: the bare atom when every byte is an ASTRING-CHAR (and it is not `NIL`), else a string.
    public static func renderAString(_ text: String) -> String {
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.allSatisfy(IMAPByteClass.isAStringChar), text.uppercased() != "NIL" { return text }
        return render(text)
    }

    /// A mailbox name (its wire form): `INBOX`, an atom, or a string; list wildcards are quoted.
    public static func renderMailbox(_ name: IMAPMailboxName) -> String { renderAString(name.wire) }
}
