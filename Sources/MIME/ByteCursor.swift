/// An RFC 5322 lexer over one header value: whitespace, comments, atoms, quoted strings; never reads out of bounds.
struct ByteCursor {
    let bytes: [UInt8]
    var position: Int = 0
    /// Set when a comment ran to the end without its ")".
    var sawUnterminatedComment = false

    init(_ bytes: some Collection<UInt8>) { self.bytes = Array(bytes) }

    var isAtEnd: Bool { position >= bytes.count }
    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func advance() { if position < bytes.count { position += 1 } }

    /// Consumes `byte` if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        guard current == byte else { return false }
        position += 1
        return true
    }

    mutating func skipWhitespace() {
        while let byte = current, byte.isMIMEWhitespace { position += 1 }
    }

    /// Skips folding whitespace and comments; returns the text of the last comment (nested parentheses kept).
    @discardableResult
    mutating func skipCFWS() -> [UInt8]? {
        var lastComment: [UInt8]?
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "(") else { return lastComment }
            lastComment = comment()
        }
    }

    /// Reads a comment starting at "(", iteratively (nesting never touches the stack); unterminated runs to the end.
    mutating func comment() -> [UInt8] {
        var depth = 0
        var text: [UInt8] = []
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "("):
                if depth > 0 { text.append(byte) }
                depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return text }
                text.append(byte)
            case UInt8(ascii: "\\"):
                if let next = current { text.append(next); position += 1 }
            case 0x0D, 0x0A:
                continue
            default:
                text.append(byte)
            }
        }
        sawUnterminatedComment = true
        return text
    }

    /// Reads a quoted string starting at the opening quote; escapes removed, line breaks dropped. An unterminated
    /// string runs to the end.
    mutating func quotedString() -> [UInt8] { quotedStringIfTerminated().text }

    /// The same, telling whether the closing quote was there.
    mutating func quotedStringIfTerminated() -> (text: [UInt8], terminated: Bool) {
        var text: [UInt8] = []
        position += 1
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return (text, true)
            case UInt8(ascii: "\\"):
                if let next = current { text.append(next); position += 1 }
            case 0x0D, 0x0A: continue
            default: text.append(byte)
            }
        }
        return (text, false)
    }

    /// Reads a run of bytes for which `accept` holds.
    mutating func run(while accept: (UInt8) -> Bool) -> [UInt8] {
        let start = position
        while let byte = current, accept(byte) { position += 1 }
        return Array(bytes[start..<position])
    }

    /// An RFC 2045 token (a parameter name, a type, a subtype).
    mutating func token() -> [UInt8] { run { $0.isMIMETokenByte } }
}

extension UInt8 {
    var isMIMEWhitespace: Bool { self == 0x20 || self == 0x09 || self == 0x0D || self == 0x0A }

    /// RFC 2045 token characters (any printable ASCII except space and tspecials), plus 8-bit octets as Dovecot allows.
    var isMIMETokenByte: Bool {
        if self >= 0x80 { return true }
        guard self > 0x20, self < 0x7F else { return false }
        switch self {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
             UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "="):
            return false
        default: return true
        }
    }

    /// RFC 5322 atext, plus 8-bit bytes (tolerated) — a word of a phrase or of a local part.
    var isAtomByte: Bool {
        if self >= 0x80 { return true }
        guard self > 0x20, self < 0x7F else { return false }
        switch self {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
             UInt8(ascii: "["), UInt8(ascii: "]"):
            return false
        default: return true
        }
    }

    var asciiLowercased: UInt8 { self >= 0x41 && self <= 0x5A ? self + 0x20 : self }
}

/// Text helpers shared by the module: bytes to String without losing 8-bit octets, ASCII case folding.
enum MIMEText {
    /// UTF-8 when the bytes are valid UTF-8, ISO-8859-1 otherwise (every octet kept as one character).
    static func string(_ bytes: some Collection<UInt8>) -> String {
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        return String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
    }

    static func lowercased(_ bytes: some Collection<UInt8>) -> [UInt8] { bytes.map(\.asciiLowercased) }

    static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }
}
