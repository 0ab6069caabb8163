import NIOCore

/// A cursor over a command's text (its lines joined with CR LF, literal octets taken out) and its literals,
/// with the primitives of RFC 3501 §9. Every step is linear; nesting is bounded by ``maximumDepth``.
struct IMAPParser {
    let text: [UInt8]
    var index = 0
    let literals: [ByteBuffer]
    var literalIndex = 0
    /// Current nesting of search keys (parentheses, NOT, OR).
    var depth = 0
    static let maximumDepth = 48

    init(text: [UInt8], literals: [ByteBuffer] = []) {
        self.text = text
        self.literals = literals
    }

    var atEnd: Bool { index >= text.count }
    func peek(_ offset: Int = 0) -> UInt8? { index + offset < text.count ? text[index + offset] : nil }

    /// An error naming the problem and where it was noticed.
    func error(_ message: String) -> IMAPSyntaxError {
        if atEnd { return IMAPSyntaxError("\(message) at the end of the command") }
        let excerpt = text[index..<min(text.count, index + 16)].map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }
        return IMAPSyntaxError("\(message) near \"\(String(decoding: excerpt, as: UTF8.self))\"")
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard skip(byte) else { throw error("expected \(what)") }
    }

    mutating func space() throws { try expect(UInt8(ascii: " "), "a space") }

    mutating func expectEnd() throws {
        guard atEnd else { throw error("unexpected text") }
    }

    /// The run of bytes satisfying `accept` (possibly empty).
    mutating func run(_ accept: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while index < text.count, accept(text[index]) { index += 1 }
        return text[start..<index]
    }

    /// Consumes `word` (ASCII, case-insensitive) when it is next and not followed by another atom character.
    mutating func keyword(_ word: String) -> Bool {
        let bytes = Array(word.utf8)
        guard index + bytes.count <= text.count else { return false }
        for (offset, byte) in bytes.enumerated() {
            let actual = text[index + offset]
            let isLetter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            guard actual == byte || (isLetter && actual | 0x20 == byte | 0x20) else { return false }
        }
        if index + bytes.count < text.count, IMAPByteClass.isAtomChar(text[index + bytes.count]) { return false }
        index += bytes.count
        return true
    }

    /// 1*ATOM-CHAR.
    mutating func atom(_ what: String = "an atom") throws -> String {
        let bytes = run(IMAPByteClass.isAtomChar)
        guard !bytes.isEmpty else { throw error("expected \(what)") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// number: 1*DIGIT, at most 4294967295.
    mutating func number(_ what: String = "a number") throws -> UInt32 {
        let digits = run(IMAPByteClass.isDigit)
        guard !digits.isEmpty, digits.count <= 10, let value = UInt32(String(decoding: digits, as: UTF8.self)) else {
            throw error("expected \(what) (0 to 4294967295)")
        }
        return value
    }

    /// nz-number: digit-nz *DIGIT.
    mutating func nzNumber(_ what: String = "a non-zero number") throws -> UInt32 {
        guard let first = peek(), first != UInt8(ascii: "0") else { throw error("expected \(what)") }
        _ = first
        return try number(what)
    }

    /// mod-sequence-value: 1*DIGIT up to 2^63-1 (RFC 7162).
    mutating func modSequence() throws -> UInt64 {
        let digits = run(IMAPByteClass.isDigit)
        guard !digits.isEmpty, digits.count <= 19, let value = UInt64(String(decoding: digits, as: UTF8.self)), value <= UInt64(Int64.max) else {
            throw error("expected a mod-sequence value")
        }
        return value
    }

    /// quoted: DQUOTE *QUOTED-CHAR DQUOTE, with `\"` and `\\` escapes.
    mutating func quoted() throws -> [UInt8] {
        try expect(UInt8(ascii: "\""), "a quoted string")
        var out: [UInt8] = []
        while let byte = peek() {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard let escaped = peek(), escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else {
                    throw error("a quoted string may escape only \" and \\")
                }
                index += 1
                out.append(escaped)
            case 0x0D, 0x0A, 0x00:
                index -= 1
                throw error("a quoted string may not contain CR, LF or NUL")
            default:
                out.append(byte)
            }
        }
        throw error("unterminated quoted string")
    }

    /// literal: `{n}` or `{n+}` (LITERAL+), optionally after `~` when `allowBinary` (literal8), then CR LF;
    /// its octets are the next of `literals`. Returns the octets and whether it was a literal8.
    mutating func literal(allowBinary: Bool = false) throws -> (bytes: ByteBuffer, binary: Bool) {
        var binary = false
        if allowBinary, peek() == UInt8(ascii: "~") {
            binary = true
            index += 1
        }
        try expect(UInt8(ascii: "{"), "a literal")
        let size = try number("a literal size")
        _ = skip(UInt8(ascii: "+"))
        try expect(UInt8(ascii: "}"), "} closing the literal size")
        guard skip(0x0D), skip(0x0A) else { throw error("a literal announcement must end its line") }
        guard literalIndex < literals.count else { throw error("literal data missing") }
        let bytes = literals[literalIndex]
        literalIndex += 1
        guard bytes.readableBytes == Int(size) else { throw error("literal of \(bytes.readableBytes) octets announced as \(size)") }
        if !binary, bytes.readableBytesView.contains(0) { throw error("a literal may not contain NUL (use literal8)") }
        return (bytes, binary)
    }

    /// string: quoted or literal, as bytes.
    mutating func stringBytes() throws -> [UInt8] {
        switch peek() {
        case UInt8(ascii: "\""): return try quoted()
        case UInt8(ascii: "{"): return Array(try literal().bytes.readableBytesView)
        default: throw error("expected a string")
        }
    }

    /// Bytes as UTF-8 text; invalid UTF-8 is a syntax error.
    func utf8(_ bytes: some Collection<UInt8>, _ what: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw error("\(what) is not valid UTF-8") }
        return text
    }

    mutating func string(_ what: String = "a string") throws -> String { try utf8(try stringBytes(), what) }

    /// astring: 1*ASTRING-CHAR or string.
    mutating func astring(_ what: String = "an astring") throws -> String {
        if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "{") { return try string(what) }
        let bytes = run(IMAPByteClass.isAStringChar)
        guard !bytes.isEmpty else { throw error("expected \(what)") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// nstring: string or NIL.
    mutating func nstring(_ what: String = "a string or NIL") throws -> String? {
        if keyword("NIL") { return nil }
        return try string(what)
    }

    /// mailbox: astring, with INBOX normalized.
    mutating func mailbox() throws -> IMAPMailboxName { IMAPMailboxName(wire: try astring("a mailbox name")) }

    /// list-mailbox: 1*list-char or string.
    mutating func listMailbox() throws -> String {
        if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "{") { return try string("a mailbox pattern") }
        let bytes = run(IMAPByteClass.isListChar)
        guard !bytes.isEmpty else { throw error("expected a mailbox pattern") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// flag: `\`atom or keyword.
    mutating func flag() throws -> IMAPFlag {
        let start = index
        _ = skip(UInt8(ascii: "\\"))
        let name = run(IMAPByteClass.isAtomChar)
        guard let flag = IMAPFlag(String(decoding: text[start..<index], as: UTF8.self)), !name.isEmpty else {
            index = start
            throw error("expected a flag")
        }
        return flag
    }

    /// A storable flag (not `\Recent`).
    mutating func storableFlag() throws -> IMAPFlag {
        let start = index
        let flag = try flag()
        guard flag.isStorable else {
            index = start
            throw error("\\Recent cannot be set by a client")
        }
        return flag
    }

    /// flag-list: "(" [flag *(SP flag)] ")", storable flags only.
    mutating func flagList() throws -> [IMAPFlag] {
        try expect(UInt8(ascii: "("), "( opening a flag list")
        var flags: [IMAPFlag] = []
        if skip(UInt8(ascii: ")")) { return flags }
        repeat { flags.append(try storableFlag()) } while skip(UInt8(ascii: " "))
        try expect(UInt8(ascii: ")"), ") closing the flag list")
        return flags
    }

    /// A parenthesized, space-separated, non-empty-or-empty list of items.
    mutating func parenthesized<T>(_ what: String, allowEmpty: Bool = false, _ item: (inout IMAPParser) throws -> T) throws -> [T] {
        try expect(UInt8(ascii: "("), "( opening \(what)")
        var items: [T] = []
        if skip(UInt8(ascii: ")")) {
            guard allowEmpty else { throw error("\(what) may not be empty") }
            return items
        }
        repeat { items.append(try item(&self)) } while skip(UInt8(ascii: " "))
        try expect(UInt8(ascii: ")"), ") closing \(what)")
        return items
    }

    /// sequence-set: (seq-number / seq-range) *("," ...), or `$`.
    mutating func sequenceSet() throws -> IMAPSequenceSet {
        if skip(UInt8(ascii: "$")) { return .savedResult }
        func bound(_ parser: inout IMAPParser) throws -> IMAPSequenceSet.Bound {
            if parser.skip(UInt8(ascii: "*")) { return .largest }
            return .number(try parser.nzNumber("a message number or *"))
        }
        var ranges: [IMAPSequenceSet.Range] = []
        repeat {
            let first = try bound(&self)
            if skip(UInt8(ascii: ":")) {
                ranges.append(.init(first, try bound(&self)))
            } else {
                ranges.append(.init(first))
            }
        } while skip(UInt8(ascii: ","))
        return IMAPSequenceSet(ranges)
    }

    /// date: date-text or DQUOTE date-text DQUOTE.
    mutating func date() throws -> IMAPDate {
        let quoted = skip(UInt8(ascii: "\""))
        let start = index
        let body = run { IMAPByteClass.isAtomChar($0) }
        guard let date = IMAPDate(parsing: String(decoding: body, as: UTF8.self)) else {
            index = start
            throw error("expected a date like 1-Feb-1994")
        }
        if quoted { try expect(UInt8(ascii: "\""), "\" closing the date") }
        return date
    }

    /// date-time: DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE.
    mutating func dateTime() throws -> IMAPDateTime {
        let start = index
        try expect(UInt8(ascii: "\""), "a date-time")
        let body = run { $0 != UInt8(ascii: "\"") && $0 >= 0x20 && $0 < 0x7F }
        guard skip(UInt8(ascii: "\"")), body.count <= 26, let value = IMAPDateTime(parsing: String(decoding: body, as: UTF8.self)) else {
            index = start
            throw error("expected a date-time like \"17-Jul-1996 02:44:25 -0700\"")
        }
        return value
    }

    /// A tagged-ext-val (RFC 4466) kept as text: a token, a string, or a balanced parenthesized list.
    mutating func extensionValue() throws -> String {
        if peek() == UInt8(ascii: "(") {
            let start = index
            var level = 0
            while let byte = peek() {
                if byte == UInt8(ascii: "(") { level += 1 }
                if byte == UInt8(ascii: ")") { level -= 1 }
                if byte == UInt8(ascii: "\"") {
                    _ = try quoted()
                    continue
                }
                if byte == 0x0D || byte == 0x0A || byte == UInt8(ascii: "{") { throw error("unsupported extension value") }
                index += 1
                if level == 0 { return String(decoding: text[start..<index], as: UTF8.self) }
            }
            throw error("unbalanced parentheses")
        }
        if peek() == UInt8(ascii: "\"") { return try string() }
        let bytes = run { IMAPByteClass.isAStringChar($0) || $0 == UInt8(ascii: "*") }
        guard !bytes.isEmpty else { throw error("expected an extension value") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
