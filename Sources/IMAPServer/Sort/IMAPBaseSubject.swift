/// The base subject of RFC 5256 §2.1 (SORT SUBJECT, THREAD): the Subject without `Re:`, `Fwd:`, `[blob]`
/// prefixes, `(fwd)` trailers and `[fwd: ...]` wrapping, whitespace collapsed, compared i;ascii-casemap.
public struct IMAPBaseSubject: Hashable, Sendable {
    /// The base subject with ASCII letters uppercased (i;ascii-casemap), ready to compare.
    public var key: [UInt8]
    /// Whether anything marking a reply or forward was removed (`Re:`, `Fwd:`, `(fwd)`, `[fwd: ...]`).
    public var isReplyOrForward: Bool

    /// `subject` is the decoded (RFC 2047) Subject value; nil or empty gives the empty base subject. Linear in the
    /// subject's length: the text is narrowed by two indexes, never copied while the steps run.
    public init(_ subject: String?) {
        let text = Self.collapsedWhitespace(Array((subject ?? "").utf8))
        var start = 0, end = text.count
        var marked = false
        while true {
            // Step 2: trailing "(fwd)" and whitespace.
            while end > start {
                if text[end - 1] == 0x20 {
                    end -= 1
                } else if end - start >= 5, Self.upper(text[(end - 5)..<end]) == Array("(FWD)".utf8) {
                    end -= 5
                    marked = true
                } else {
                    break
                }
            }
            // Steps 3 and 4, repeated until nothing changes: leaders (a space, or blobs then Re/Fw/Fwd ... ":"),
            // then one blob when something remains after it.
            while start < end {
                if text[start] == 0x20 {
                    start += 1
                    continue
                }
                var blobsEnd = start, lastBlob = start
                while let length = Self.blob(text, from: blobsEnd, end: end) {
                    lastBlob = blobsEnd
                    blobsEnd += length
                }
                if let length = Self.refwd(text, from: blobsEnd, end: end) {
                    start = blobsEnd + length
                    marked = true
                    continue
                }
                // No leader here, nor after any of these blobs once the ones before are gone (the run of blobs ends
                // in the same place): step 4 removes them one by one, but never the last one if nothing follows it.
                let stripped = blobsEnd < end ? blobsEnd : lastBlob
                if stripped == start { break }
                start = stripped
            }
            // Step 5: "[fwd:" ... "]" wrapping, then from step 2 again.
            if end - start >= 6, Self.upper(text[start..<(start + 5)]) == Array("[FWD:".utf8), text[end - 1] == UInt8(ascii: "]") {
                start += 5
                end -= 1
                marked = true
                continue
            }
            break
        }
        key = Self.upper(text[start..<max(start, end)])
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

    /// subj-blob at `start`: `[` *BLOBCHAR `]` *WSP, before `end`; its length, or nil.
    static func blob(_ text: [UInt8], from start: Int, end: Int) -> Int? {
        guard start < end, text[start] == UInt8(ascii: "[") else { return nil }
        var index = start + 1
        while index < end, text[index] != UInt8(ascii: "]") {
            if text[index] == UInt8(ascii: "[") { return nil }
            index += 1
        }
        guard index < end else { return nil }
        index += 1
        while index < end, text[index] == 0x20 { index += 1 }
        return index - start
    }

    /// subj-refwd at `start`: ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"; its length, or nil.
    static func refwd(_ text: [UInt8], from start: Int, end: Int) -> Int? {
        var index = start
        let head = upper(text[start..<min(end, start + 3)])
        if head.starts(with: Array("RE".utf8)) {
            index += 2
        } else if head.starts(with: Array("FWD".utf8)) {
            index += 3
        } else if head.starts(with: Array("FW".utf8)) {
            index += 2
        } else {
            return nil
        }
        while index < end, text[index] == 0x20 { index += 1 }
        if let length = blob(text, from: index, end: end) { index += length }
        guard index < end, text[index] == UInt8(ascii: ":") else { return nil }
        return index + 1 - start
    }
}
