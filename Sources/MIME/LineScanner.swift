/// One line of a message: where it starts, where its content ends (before CR LF or LF) and where the next begins.
struct Line {
    var start: Int
    var contentEnd: Int
    var next: Int

    /// True for an empty line (nothing before its line break) — the end of a header.
    var isEmpty: Bool { contentEnd == start }
    /// The line break's length: 2 for CR LF, 1 for a bare LF, 0 at the end of the input.
    var breakLength: Int { next - contentEnd }
}

/// Cuts bytes into lines in one forward pass (CR LF or bare LF; a lone CR is content).
struct LineScanner {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.position = max(0, range.lowerBound)
        self.end = min(bytes.count, range.upperBound)
    }

    mutating func next() -> Line? {
        guard position < end else { return nil }
        let start = position
        var index = start
        while index < end, bytes[index] != 0x0A { index += 1 }
        let line: Line
        if index < end {
            let contentEnd = index > start && bytes[index - 1] == 0x0D ? index - 1 : index
            line = Line(start: start, contentEnd: contentEnd, next: index + 1)
        } else {
            line = Line(start: start, contentEnd: end, next: end)
        }
        position = line.next
        return line
    }
}
