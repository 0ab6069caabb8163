/// The base subject of RFC 5256 §2.1 (SORT SUBJECT, THREAD): the Subject without `Re:`, `Fwd:`, `[blob]`
/// prefixes, `(fwd)` trailers and `[fwd: ...]` wrapping, whitespace collapsed, compared i;ascii-casemap.
public struct IMAPBaseSubject: Hashable, Sendable {
    /// The base subject with ASCII letters uppercased (i;ascii-casemap), ready to compare.
    public var key: [UInt8]
    /// Whether anything marking a reply or forward was removed (`Re:`, `Fwd:`, `(fwd)`, `[fwd: ...]`).
    public var isReplyOrForward: Bool

    /// `subject` is the decoded (RFC 2047) Subject value; nil or empty gives the empty base subject.
    public init(_ subject: String?) {
        var text = Self.collapsedWhitespace(Array((subject ?? "").utf8))
        var marked = false
        while true {
            // Step 2: trailing "(fwd)" and whitespace.
            while true {
                if text.last == 0x20 {
                    text.removeLast()
                } else if text.count >= 5, Self.upper(text.suffix(5)) == Array("(FWD)".utf8) {
                    text.removeLast(5)
                    marked = true
                } else {
                    break
                }
            }
            // Steps 3 and 4: leaders, then one blob if something remains after it; repeated until nothing changes.
            while true {
                var changed = false
                while let (length, refwd) = Self.leader(text) {
                    text.removeFirst(length)
                    marked = marked || refwd
                    changed = true
                }
                if let length = Self.blob(text, from: 0), length < text.count {
                    text.removeFirst(length)
                    changed = true
                }
                if !changed { break }
            }
            // Step 5: "[fwd:" ... "]" wrapping.
            if text.count >= 6, Self.upper(text.prefix(5)) == Array("[FWD:".utf8), text.last == UInt8(ascii: "]") {
                text = Array(text[5..<(text.count - 1)])
                marked = true
                continue
            }
            break
        }
        key = Self.upper(text[...])
        isReplyOrForward = marked
    }

    /// Tabs and line breaks become spaces; runs of spaces become one.
    static func collapsedWhitespace(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            let space = byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
            if space {
                if out.last != 0x20 { out.append(0x20) }
            } else {
                out.append(byte)
            }
        }
        return out
    }

    static func upper(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
    }

    /// subj-blob at `start`: `[` *BLOBCHAR `]` *WSP; its length, or nil.
    static func blob(_ text: [UInt8], from start: Int) -> Int? {
        guard start < text.count, text[start] == UInt8(ascii: "[") else { return nil }
        var index = start + 1
        while index < text.count, text[index] != UInt8(ascii: "]") {
            if text[index] == UInt8(ascii: "[") { return nil }
            index += 1
        }
        guard index < text.count else { return nil }
        index += 1
        while index < text.count, text[index] == 0x20 { index += 1 }
        return index - start
    }

    /// subj-leader: `*subj-blob subj-refwd` (refwd true) or one WSP (refwd false); its length, or nil.
    static func leader(_ text: [UInt8]) -> (Int, Bool)? {
        if text.first == 0x20 { return (1, false) }
        var index = 0
        while let length = blob(text, from: index) { index += length }
        // subj-refwd: ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
        let rest = upper(text[index...].prefix(3))
        if rest.starts(with: Array("RE".utf8)) {
            index += 2
        } else if rest.starts(with: Array("FWD".utf8)) {
            index += 3
        } else if rest.starts(with: Array("FW".utf8)) {
            index += 2
        } else {
            return nil
        }
        while index < text.count, text[index] == 0x20 { index += 1 }
        if let length = blob(text, from: index) { index += length }
        guard index < text.count, text[index] == UInt8(ascii: ":") else { return nil }
        return (index + 1, true)
    }
}
