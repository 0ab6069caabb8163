/// One Content-Type or Content-Disposition parameter, after RFC 2231 continuations are merged the way Dovecot
/// merges them: `name*0*=utf-8''a; name*1*=b` becomes `name*` = `utf-8''ab` (still encoded, as BODYSTRUCTURE shows it).
public struct MIMEParameter: Hashable, Sendable {
    /// The name as written, with a trailing `*` when the value is RFC 2231 extended (`charset'language'%XX`).
    public var name: HeaderText
    /// The value as written (quotes and escapes removed).
    public var value: HeaderText

    public init(name: HeaderText, value: HeaderText) {
        self.name = name
        self.value = value
    }

    /// True when the value is in RFC 2231's extended form (the name ends with `*`).
    public var isExtended: Bool { name.bytes.last == UInt8(ascii: "*") }

    /// The name without the RFC 2231 `*` marker.
    public var baseName: HeaderText { isExtended ? HeaderText(name.bytes.dropLast()) : name }

    /// The value as text: RFC 2231 `charset'language'%XX` decoded for extended values, as written otherwise.
    public var decodedValue: String {
        guard isExtended else { return value.string }
        let bytes = value.bytes
        let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "'") }.prefix(2)
        guard quotes.count == 2, let first = quotes.first, let second = quotes.last else {
            return MIMEText.string(PercentDecoding.decode(bytes))
        }
        let charset = MIMEText.string(bytes[..<first])
        let decoded = PercentDecoding.decode(bytes[(second + 1)...])
        return Charset.decode(decoded, charset: charset) ?? MIMEText.string(decoded)
    }
}

extension [MIMEParameter] {
    /// The first parameter whose base name is `name` (ignoring case), decoded; extended and plain forms both count.
    public func value(named name: String) -> String? {
        first { $0.baseName.equalsIgnoringCase(name) }?.decodedValue
    }

    /// Parses `; name=value` parameters the way Dovecot's rfc2231_parse does: tokens or quoted strings (an
    /// unterminated one drops the parameter), `name==?...` kept up to whitespace or ";", and after anything broken
    /// one octet skipped before looking for the next ";". RFC 2231 continuations are then merged.
    static func parse(_ cursor: inout ByteCursor) -> [MIMEParameter] {
        var plain: [MIMEParameter] = []
        var split: [(key: [UInt8], index: Int, extended: Bool, value: [UInt8])] = []
        while let byte = cursor.current {
            guard byte == UInt8(ascii: ";"), let (name, value) = parameter(&cursor) else {
                cursor.advance()
                continue
            }
            if let star = name.firstIndex(of: UInt8(ascii: "*")), let piece = continuation(name, star: star) {
                split.append(([UInt8](name[..<star]), piece.index, piece.extended, value))
            } else {
                plain.append(MIMEParameter(name: HeaderText(name), value: HeaderText(value)))
            }
        }
        return plain + merge(split)
    }

    /// One `;name=value` at the cursor (which is on the ";"), or nil when it is broken (the cursor stays where it broke).
    private static func parameter(_ cursor: inout ByteCursor) -> (name: [UInt8], value: [UInt8])? {
        cursor.advance()
        cursor.skipCFWS()
        guard !cursor.isAtEnd else { return nil }
        let name = cursor.token()
        cursor.skipCFWS()
        guard cursor.current == UInt8(ascii: "=") else { return nil }
        cursor.advance()
        cursor.skipCFWS()
        guard !cursor.sawUnterminatedComment else { return nil }
        switch cursor.current {
        case nil:
            return (name, [])
        case UInt8(ascii: "\""):
            let (text, terminated) = cursor.quotedStringIfTerminated()
            guard terminated else { return nil }
            cursor.skipCFWS()
            return cursor.sawUnterminatedComment ? nil : (name, text)
        case UInt8(ascii: "="):
            let value = cursor.run { !($0 == UInt8(ascii: ";") || $0.isMIMEWhitespace) }
            return (name, value)
        default:
            let value = cursor.token()
            cursor.skipCFWS()
            // An unclosed comment after the value breaks the parameter, as in Dovecot.
            return cursor.sawUnterminatedComment ? nil : (name, value)
        }
    }

    /// `name*`, `name*3`, `name*3*`: the index and whether the piece is extended; nil when the suffix is not RFC 2231.
    private static func continuation(_ name: [UInt8], star: Int) -> (index: Int, extended: Bool)? {
        var position = star + 1
        var index = 0
        while position < name.count, name[position] >= 0x30, name[position] <= 0x39 {
            index = Swift.min(index * 10 + Int(name[position] - 0x30), 1_000_000)
            position += 1
        }
        var extended = false
        if position == star + 1 && position == name.count {
            extended = true  // `name*=charset''value`: extended, index 0
        } else if position < name.count, name[position] == UInt8(ascii: "*") {
            extended = true
            position += 1
        }
        return position == name.count ? (index, extended) : nil
    }

    /// Dovecot's rfc2231_parse merge: sort by key then index; complete runs become one parameter, runs with gaps
    /// stay as their pieces (`key*N` / `key*N*`).
    private static func merge(_ pieces: [(key: [UInt8], index: Int, extended: Bool, value: [UInt8])]) -> [MIMEParameter] {
        let sorted = pieces.enumerated().sorted { a, b in
            if a.element.key != b.element.key { return a.element.key.lexicographicallyPrecedes(b.element.key) }
            if a.element.index != b.element.index { return a.element.index < b.element.index }
            return a.offset < b.offset
        }.map(\.element)
        var result: [MIMEParameter] = []
        var start = 0
        while start < sorted.count {
            var end = start
            var complete = true
            var extended = false
            while end < sorted.count, MIMEText.equalsIgnoringCase(sorted[end].key, sorted[start].key) {
                if sorted[end].index != end - start { complete = false }
                if sorted[end].extended { extended = true }
                end += 1
            }
            let run = sorted[start..<end]
            if complete {
                var value: [UInt8] = extended && !sorted[start].extended ? [UInt8]("''".utf8) : []
                for piece in run {
                    if extended && !piece.extended {
                        for byte in piece.value { value += byte == UInt8(ascii: "%") ? [UInt8]("%25".utf8) : [byte] }
                    } else {
                        value += piece.value
                    }
                }
                result.append(MIMEParameter(name: HeaderText(sorted[start].key + (extended ? [UInt8(ascii: "*")] : [])),
                                            value: HeaderText(value)))
            } else {
                for piece in run {
                    let suffix = "*\(piece.index)" + (piece.extended ? "*" : "")
                    result.append(MIMEParameter(name: HeaderText(piece.key + [UInt8](suffix.utf8)), value: HeaderText(piece.value)))
                }
            }
            start = end
        }
        return result
    }
}

/// `%XX` decoding for RFC 2231 values (a malformed escape is kept as written).
enum PercentDecoding {
    static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = Hex.value(bytes[index + 1]), let low = Hex.value(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}

/// Hexadecimal digits.
enum Hex {
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
