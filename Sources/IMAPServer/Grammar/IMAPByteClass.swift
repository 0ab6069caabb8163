/// The character classes of RFC 3501 §9 (formal syntax), on bytes.
enum IMAPByteClass {
    /// CHAR: 7-bit, not NUL.
    static func isChar(_ byte: UInt8) -> Bool { byte >= 0x01 && byte <= 0x7F }
    static func isCTL(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// ATOM-CHAR: any CHAR except atom-specials `( ) { SP CTL % * " \ ]`.
    static func isAtomChar(_ byte: UInt8) -> Bool {
        guard isChar(byte), !isCTL(byte) else { return false }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: " "), UInt8(ascii: "%"),
            UInt8(ascii: "*"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default: return true
        }
    }

    /// ASTRING-CHAR: ATOM-CHAR or `]`.
    static func isAStringChar(_ byte: UInt8) -> Bool { isAtomChar(byte) || byte == UInt8(ascii: "]") }

    /// list-char: ATOM-CHAR, the wildcards `%` `*`, or `]`.
    static func isListChar(_ byte: UInt8) -> Bool {
        isAStringChar(byte) || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*")
    }

    /// tag: ASTRING-CHAR except `+`.
    static func isTagChar(_ byte: UInt8) -> Bool { isAStringChar(byte) && byte != UInt8(ascii: "+") }

    /// QUOTED-CHAR without escaping: TEXT-CHAR except `"` and `\`.
    static func isPlainQuotedChar(_ byte: UInt8) -> Bool {
        isChar(byte) && byte != 0x0D && byte != 0x0A && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }
}
