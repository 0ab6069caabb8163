/// RFC 2047 encoded words (`=?charset?B|Q?text?=`): decoding header text for display and SEARCH.
public enum EncodedWord {
    /// Decodes every encoded word in `text`; whitespace between two adjacent encoded words is dropped
    /// (RFC 2047 §6.2), an undecodable word (unknown charset, bad syntax) is left as written.
    public static func decode(_ text: String) -> String { decode(bytes: Array(text.utf8)) }

    /// The same over header bytes; line breaks (folds) are removed first.
    public static func decode(bytes input: some Collection<UInt8>) -> String {
        let bytes = MessageHeader.unfold(input)
        var segments: [Segment] = []
        var index = 0
        while index < bytes.count {
            let start = index
            if bytes[index] == 0x20 || bytes[index] == 0x09 {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
                segments.append(.space(start..<index))
            } else if bytes[index] == UInt8(ascii: "="), let (text, end) = word(bytes, at: index) {
                segments.append(.word(text))
                index = end
            } else {
                index += 1
                while index < bytes.count, bytes[index] != 0x20, bytes[index] != 0x09, bytes[index] != UInt8(ascii: "=") {
                    index += 1
                }
                segments.append(.text(start..<index))
            }
        }
        var out = ""
        for (position, segment) in segments.enumerated() {
            switch segment {
            case let .word(text): out += text
            case let .text(range): out += MIMEText.string(bytes[range])
            case let .space(range):
                if position > 0, position + 1 < segments.count, segments[position - 1].isWord, segments[position + 1].isWord {
                    continue
                }
                out += MIMEText.string(bytes[range])
            }
        }
        return out
    }

    private enum Segment {
        case word(String)
        case space(Range<Int>)
        case text(Range<Int>)

        var isWord: Bool { if case .word = self { true } else { false } }
    }

    /// RFC 2047 caps a word at 75 octets; longer candidates are not words, which keeps scanning linear.
    static let maximumWordLength = 256

    /// One encoded word starting at `start` ("=?"): its text and the index after "?=", or nil when it is not one
    /// or cannot be decoded. Scanning stops at whitespace, so this is linear in the word's length.
    static func word(_ bytes: [UInt8], at start: Int) -> (String, Int)? {
        guard start + 1 < bytes.count, bytes[start + 1] == UInt8(ascii: "?") else { return nil }
        let limit = min(bytes.count, start + maximumWordLength)
        var index = start + 2
        func field() -> Range<Int>? {
            let begin = index
            while index < limit, bytes[index] != UInt8(ascii: "?") {
                if bytes[index] == 0x20 || bytes[index] == 0x09 { return nil }
                index += 1
            }
            guard index < limit else { return nil }
            defer { index += 1 }
            return begin..<index
        }
        guard let charsetRange = field(), let encodingRange = field(), encodingRange.count == 1 else { return nil }
        let textStart = index
        while index + 1 < limit, !(bytes[index] == UInt8(ascii: "?") && bytes[index + 1] == UInt8(ascii: "=")) {
            if bytes[index] == 0x20 || bytes[index] == 0x09 { return nil }
            index += 1
        }
        guard index + 1 < limit else { return nil }
        let encoded = bytes[textStart..<index]
        let decoded: [UInt8]
        switch bytes[encodingRange.lowerBound] {
        case UInt8(ascii: "B"), UInt8(ascii: "b"): decoded = Base64.decode(encoded)
        case UInt8(ascii: "Q"), UInt8(ascii: "q"): decoded = qDecode(encoded)
        default: return nil
        }
        guard let text = Charset.decode(decoded, charset: MIMEText.string(bytes[charsetRange])) else { return nil }
        return (text, index + 2)
    }

    /// RFC 2047 "Q": `_` is a space, `=XX` an octet.
    static func qDecode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "_") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "="), index + 2 < bytes.count,
                      let high = Hex.value(bytes[index + 1]), let low = Hex.value(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
