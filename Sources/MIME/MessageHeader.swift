#if canImport(Glibc)
import Glibc
#endif
/// A message's or a MIME part's header (RFC 5322 §2.2): its bytes as written and its fields, looked up by name.
public struct MessageHeader: Hashable, Sendable {
    /// The header as written, including the empty line ending it when there is one.
    public let bytes: [UInt8]
    /// The fields in order; lines that are not fields (no colon, stray continuations) are kept in `bytes` only.
    public let fields: [HeaderField]
    /// Lines that are not fields (no colon), where they lie in `bytes`: HEADER.FIELDS.NOT keeps them, as Dovecot does.
    public let otherLines: [Range<Int>]
    /// True when the header ends with its empty line (false for a message that is all header).
    public let endsWithEmptyLine: Bool

    /// Parses header bytes (CR LF or bare LF line breaks); any bytes give a header, never a trap.
    public init(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        self.bytes = bytes
        (fields, otherLines, endsWithEmptyLine) = Self.scan(bytes)
    }

    /// The fields named `name`, ignoring case, in order.
    public func fields(named name: String) -> [HeaderField] { fields.filter { $0.matches(name) } }

    /// The first field named `name`.
    public func field(named name: String) -> HeaderField? { fields.first { $0.matches(name) } }

    /// A field's value exactly as written, folds included.
    public func rawValue(of field: HeaderField) -> ArraySlice<UInt8> { bytes[clamped(field.valueRange)] }

    /// A field's value as IMAP shows it (ENVELOPE, BODYSTRUCTURE): as written, except that a CR not followed by LF
    /// is followed by a space unless whitespace follows already, which is how Dovecot's output reads.
    func imapValue(of field: HeaderField) -> HeaderText {
        let raw = rawValue(of: field)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            let next = raw.index(after: index)
            out.append(byte)
            if byte == 0x0D && (next == raw.endIndex || (raw[next] != 0x0A && raw[next] != 0x20 && raw[next] != 0x09)) {
                out.append(0x20)
            }
            index = next
        }
        return HeaderText(out)
    }

    /// A field's value with line breaks removed (folding whitespace kept), as text.
    public func value(of field: HeaderField) -> String { MIMEText.string(Self.unfold(rawValue(of: field))) }

    /// The first value of the field named `name`, unfolded, or nil when there is none.
    public func value(named name: String) -> String? { field(named: name).map { value(of: $0) } }

    /// What IMAP returns for `HEADER.FIELDS (names)`: the named fields' raw lines in message order, each ending CR LF,
    /// then the empty line. With `excluding` (`HEADER.FIELDS.NOT`), every other line (lines that are not fields
    /// too), and the empty line only when the header has one — as Dovecot answers.
    public func selectedFields(_ names: [String], excluding: Bool = false) -> [UInt8] {
        var ranges = fields.filter { field in names.contains { field.matches($0) } != excluding }.map(\.range)
        if excluding { ranges = (ranges + otherLines).sorted { $0.lowerBound < $1.lowerBound } }
        var out: [UInt8] = []
        for range in ranges {
            out += MIMEBytes.crlfNormalized(bytes[clamped(range)])
            if out.last != 0x0A { out += [0x0D, 0x0A] }
        }
        return !excluding || endsWithEmptyLine ? out + [0x0D, 0x0A] : out
    }

    private func clamped(_ range: Range<Int>) -> Range<Int> { range.clamped(to: 0..<bytes.count) }

    /// Removes CR and LF bytes: RFC 5322 unfolding.
    static func unfold(_ bytes: some Collection<UInt8>) -> [UInt8] { bytes.filter { $0 != 0x0D && $0 != 0x0A } }

    /// Splits header bytes into fields and other lines in one pass.
    static func scan(_ bytes: [UInt8]) -> (fields: [HeaderField], otherLines: [Range<Int>], endsWithEmptyLine: Bool) {
        var fields: [HeaderField] = []
        var otherLines: [Range<Int>] = []
        var endsWithEmptyLine = false
        var lines = LineScanner(bytes: bytes, range: 0..<bytes.count)
        var pending: (name: String, start: Int, valueStart: Int, valueEnd: Int, end: Int)?
        var pendingOther: Range<Int>?
        func flush() {
            if let p = pending {
                fields.append(HeaderField(name: p.name, range: p.start..<p.end, valueRange: p.valueStart..<max(p.valueStart, p.valueEnd)))
            }
            if let other = pendingOther { otherLines.append(other) }
            pending = nil
            pendingOther = nil
        }
        while let line = lines.next() {
            if line.isEmpty {
                endsWithEmptyLine = true
                break
            }
            let first = bytes[line.start]
            if first == 0x20 || first == 0x09 {
                if pending != nil {
                    pending!.valueEnd = line.contentEnd
                    pending!.end = line.next
                } else {
                    pendingOther = (pendingOther?.lowerBound ?? line.start)..<line.next
                }
                continue
            }
            flush()
            guard let colon = bytes[line.start..<line.contentEnd].firstIndex(of: UInt8(ascii: ":")) else {
                pendingOther = line.start..<line.next
                continue
            }
            var nameEnd = colon
            while nameEnd > line.start, bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            guard nameEnd > line.start else {
                pendingOther = line.start..<line.next
                continue
            }
            var valueStart = colon + 1
            while valueStart < line.contentEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            pending = (MIMEText.string(bytes[line.start..<nameEnd]), line.start, valueStart, line.contentEnd, line.next)
        }
        flush()
        return (fields, otherLines, endsWithEmptyLine)
    }
}

/// Byte-level helpers for serving sections: line-break normalization.
public enum MIMEBytes {
    /// The bytes with every bare LF turned into CR LF (what IMAP sends for a Maildir file written with LF).
    public static func crlfNormalized(_ bytes: [UInt8]) -> [UInt8] {
        // Mail stored with CR LF already (what SMTP delivers) is returned as it is, without a copy.
        if !hasBareLineFeed(bytes) { return bytes }
        return crlfNormalized(bytes[...])
    }

    /// Whether some LF is not preceded by CR.
    public static func hasBareLineFeed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            var offset = 0
            // From one LF to the next with memchr (vectorized), not byte by byte.
            while offset < buffer.count, let found = memchr(base + offset, 0x0A, buffer.count - offset) {
                let index = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                if index == 0 || buffer[index - 1] != 0x0D { return true }
                offset = index + 1
            }
            return false
        }
    }

    public static func crlfNormalized(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            previous = byte
        }
        return out
    }
}
