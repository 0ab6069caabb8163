/// Builds a message's MIME tree in one forward pass over its lines, with an explicit stack (no recursion):
/// boundaries of every open multipart are checked on each "--" line, so a missing close boundary is ended by an
/// outer one or by the end of the message. Time is linear in the message size times the (capped) depth.
struct MIMEParser {
    /// A multipart whose boundary is being looked for.
    private struct Frame {
        var delimiter: [UInt8]
        var part: Int
    }

    /// A part while it is being parsed.
    private struct Building {
        var start: Int
        var headerEnd: Int?
        var end: Int = 0
        var parent: Int?
        var depth: Int
        var isMessage: Bool
        var kind: MessagePart.Kind = .leaf
        var header = MessageHeader([])
        var contentType = ContentType.textPlain
        var children: [Int] = []
        var linesAtBodyStart = 0
        var bareAtBodyStart = 0
        var bodyLines = 0
        var bodyBare = 0
        var isTruncated = false
        var isMIME = false
        /// Where the header ends for sections when a boundary cut it: Dovecot gives the line break before a boundary
        /// to the boundary even when it ends the header, while sizes still count it.
        var sectionHeaderEnd: Int?
    }

    private let bytes: [UInt8]
    private let limits: MIMELimits
    private var parts: [Building] = []
    private var open: [Int] = []
    private var frames: [Frame] = []
    private var lineFeeds = 0
    private var bareLineFeeds = 0
    private var previousBreak = 0

    init(bytes: [UInt8], limits: MIMELimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func parse() -> [MessagePart] {
        parts.append(Building(start: 0, depth: 0, isMessage: true))
        open = [0]
        var lines = LineScanner(bytes: bytes, range: 0..<bytes.count)
        while let line = lines.next() {
            if !frames.isEmpty, let (frame, isClose) = matchBoundary(line) {
                boundary(frame: frame, isClose: isClose, line: line)
            } else if let current = open.last, parts[current].headerEnd == nil, line.isEmpty {
                count(line)
                endHeader(current, at: line.next)
                continue
            }
            count(line)
        }
        closeOpen(above: nil, at: bytes.count, lines: lineFeeds, bare: bareLineFeeds)
        // Ranges for sections; a child never reaches outside its parent's body (a cut header can shrink a parent).
        var bodies: [Range<Int>] = []
        bodies.reserveCapacity(parts.count)
        var result: [MessagePart] = []
        result.reserveCapacity(parts.count)
        for part in parts {
            var headerEnd = part.sectionHeaderEnd ?? part.headerEnd ?? part.end
            var start = part.start
            var bodyEnd = part.sectionHeaderEnd == nil ? max(headerEnd, part.end) : headerEnd
            if let parent = part.parent, bodies.indices.contains(parent) {
                let bounds = bodies[parent]
                start = min(max(start, bounds.lowerBound), bounds.upperBound)
                headerEnd = min(max(headerEnd, start), bounds.upperBound)
                bodyEnd = min(max(bodyEnd, headerEnd), bounds.upperBound)
            }
            bodies.append(headerEnd..<bodyEnd)
            result.append(MessagePart(kind: part.kind, header: part.header, headerRange: start..<headerEnd,
                                      bodyRange: headerEnd..<bodyEnd, contentType: part.contentType,
                                      children: part.children, parent: part.parent, depth: part.depth,
                                      isMessage: part.isMessage, bodyLines: part.bodyLines, bodyBareLineFeeds: part.bodyBare,
                                      isTruncated: part.isTruncated, isMIME: part.isMIME))
        }
        return result
    }

    private mutating func count(_ line: Line) {
        if line.breakLength > 0 { lineFeeds += 1 }
        if line.breakLength == 1 { bareLineFeeds += 1 }
        previousBreak = line.breakLength
    }

    /// The open multipart whose boundary starts this line, and whether it is the close delimiter. As in Dovecot, a
    /// boundary need only begin the line; the longest match wins, innermost first, and an exact match ends the search.
    private func matchBoundary(_ line: Line) -> (Int, Bool)? {
        var contentEnd = line.contentEnd
        while contentEnd > line.start, bytes[contentEnd - 1] == 0x20 || bytes[contentEnd - 1] == 0x09 { contentEnd -= 1 }
        let length = contentEnd - line.start - 2
        guard length >= 0, bytes[line.start] == UInt8(ascii: "-"), bytes[line.start + 1] == UInt8(ascii: "-") else { return nil }
        let hasTrailingDashes = length >= 2 && bytes[contentEnd - 1] == UInt8(ascii: "-") && bytes[contentEnd - 2] == UInt8(ascii: "-")
        var best: Int?
        for index in frames.indices.reversed() {
            let delimiter = frames[index].delimiter
            guard delimiter.count <= length, delimiter.count > (best.map { frames[$0].delimiter.count } ?? -1) else { continue }
            var matches = true
            for offset in delimiter.indices where bytes[line.start + 2 + offset] != delimiter[offset] {
                matches = false
                break
            }
            guard matches else { continue }
            best = index
            if delimiter.count == length || (hasTrailingDashes && delimiter.count == length - 2) { break }
        }
        guard let best else { return nil }
        let after = line.start + 2 + frames[best].delimiter.count
        let isClose = after + 2 <= line.contentEnd && bytes[after] == UInt8(ascii: "-") && bytes[after + 1] == UInt8(ascii: "-")
        return (best, isClose)
    }

    private mutating func boundary(frame index: Int, isClose: Bool, line: Line) {
        let multipart = frames[index].part
        // The line break before a boundary belongs to the boundary.
        let end = line.start - previousBreak
        let lines = lineFeeds - (previousBreak > 0 ? 1 : 0)
        let bare = bareLineFeeds - (previousBreak == 1 ? 1 : 0)
        closeOpen(above: multipart, at: end, lines: lines, bare: bare,
                  headerEnd: (line.start, lineFeeds, bareLineFeeds))
        frames.removeSubrange((index + 1)...)
        if isClose {
            frames.removeLast()
            return
        }
        if parts.count > limits.maximumParts {
            // Past the cap: the last part runs on over every further boundary of this multipart.
            if let last = parts[multipart].children.last {
                parts[last].isTruncated = true
                open.append(last)
            }
            return
        }
        let child = parts.count
        parts.append(Building(start: line.next, parent: multipart, depth: parts[multipart].depth + 1, isMessage: false))
        parts[multipart].children.append(child)
        open.append(child)
    }

    /// The header of `index` ends at `position` (after the empty line): parse it and open what the body holds.
    private mutating func endHeader(_ index: Int, at position: Int) {
        finishHeader(index, at: position)
        parts[index].linesAtBodyStart = lineFeeds
        parts[index].bareAtBodyStart = bareLineFeeds
        let part = parts[index]
        let roomy = part.depth < limits.maximumDepth && parts.count <= limits.maximumParts
        if part.contentType.isMultipart {
            // Dovecot's rule: a multipart without a boundary is still a multipart, with no parts.
            guard roomy else { parts[index].isTruncated = true; return }
            parts[index].kind = .multipart
            if let boundary = part.contentType.boundary { frames.append(Frame(delimiter: boundary, part: index)) }
        } else if part.contentType.isMessageRFC822 {
            guard roomy else { parts[index].isTruncated = true; return }
            parts[index].kind = .message
            let child = parts.count
            parts.append(Building(start: position, parent: index, depth: part.depth + 1, isMessage: true))
            parts[index].children.append(child)
            open.append(child)
        }
    }

    private mutating func finishHeader(_ index: Int, at position: Int) {
        let start = parts[index].start
        let end = max(start, position)
        parts[index].headerEnd = end
        let header = MessageHeader(bytes[start..<end])
        parts[index].header = header
        parts[index].isMIME = !parts[index].isMessage || header.field(named: "MIME-Version") != nil
            || header.field(named: "Content-Type") != nil
        if let field = header.field(named: "Content-Type") {
            parts[index].contentType = ContentType(parsing: header.rawValue(of: field))
        } else if let parent = parts[index].parent, parts[parent].kind == .multipart,
                  parts[parent].contentType.isType("multipart", "digest") {
            parts[index].contentType = .messageRFC822
        }
    }

    /// Closes the open parts inside `ancestor` (all of them for nil), innermost first. A part still in its header keeps
    /// the header up to `headerEnd` (the boundary line itself, as Dovecot counts it). A parent never ends before its
    /// child: a child reaching past `end` moves its parents' end (and line counts) to its own.
    private mutating func closeOpen(above ancestor: Int?, at end: Int, lines: Int, bare: Int,
                                    headerEnd: (position: Int, lines: Int, bare: Int)? = nil) {
        let boundaryEnd = end
        var end = end
        var lines = lines
        var bare = bare
        while let last = open.last, last != ancestor {
            open.removeLast()
            close(last, at: end, lines: lines, bare: bare, headerFallback: headerEnd)
            if boundaryEnd < (parts[last].headerEnd ?? 0) {
                parts[last].sectionHeaderEnd = max(parts[last].start, boundaryEnd)
            }
            if parts[last].end > end {
                end = parts[last].end
                lines = max(lines, parts[last].linesAtBodyStart)
                bare = max(bare, parts[last].bareAtBodyStart)
            }
        }
    }

    /// Ends a part at `end`; a part still in its header is all header, up to `headerFallback` for its size.
    private mutating func close(_ index: Int, at end: Int, lines: Int, bare: Int,
                                headerFallback: (position: Int, lines: Int, bare: Int)? = nil) {
        if parts[index].headerEnd == nil {
            let fallback = headerFallback ?? (end, lines, bare)
            let sizeEnd = max(end, fallback.position)
            finishHeader(index, at: sizeEnd)
            parts[index].end = parts[index].headerEnd ?? sizeEnd
            parts[index].linesAtBodyStart = fallback.lines
            parts[index].bareAtBodyStart = fallback.bare
            // A multipart that is all header is still a multipart (with no parts), as in Dovecot.
            if parts[index].contentType.isMultipart { parts[index].kind = .multipart }
            return
        }
        let bodyStart = parts[index].headerEnd ?? end
        parts[index].end = max(bodyStart, end)
        if end > bodyStart {
            parts[index].bodyLines = max(0, lines - parts[index].linesAtBodyStart)
            parts[index].bodyBare = max(0, bare - parts[index].bareAtBodyStart)
        } else {
            parts[index].bodyLines = 0
            parts[index].bodyBare = 0
        }
    }
}
