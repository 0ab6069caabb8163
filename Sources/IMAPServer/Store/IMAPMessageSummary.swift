import MIME

/// What FETCH needs of a message besides its flags, computed once from its bytes and kept in the
/// folder's ``IMAPSummaryCache``: the size as served (CR LF line ends), ENVELOPE, BODYSTRUCTURE and BODY.
public struct IMAPMessageSummary: Hashable, Sendable {
    public var size: Int
    public var envelope: [UInt8]
    public var bodyStructure: [UInt8]
    public var body: [UInt8]

    public init(size: Int, envelope: [UInt8], bodyStructure: [UInt8], body: [UInt8]) {
        self.size = size
        self.envelope = envelope
        self.bodyStructure = bodyStructure
        self.body = body
    }

    /// The summary of a message as stored (line ends are made CR LF first, as it is served).
    public init(message bytes: [UInt8]) {
        let served = MIMEBytes.crlfNormalized(bytes)
        let parsed = MIMEMessage(bytes: served)
        self.init(size: served.count, envelope: parsed.envelope.imapBytes,
                  bodyStructure: parsed.bodyStructure(extended: true), body: parsed.bodyStructure(extended: false))
    }

    // MARK: Record format

    /// One cache record: `S` magic, then the key and four fields, each as a 4-byte big-endian length and its
    /// octets, then a 4-byte checksum of everything before it. A torn or damaged record is skipped.
    static func record(key: String, _ summary: IMAPMessageSummary) -> [UInt8] {
        var out: [UInt8] = [0x53]
        for field in [Array(key.utf8), Array(String(summary.size).utf8), summary.envelope, summary.bodyStructure, summary.body] {
            appendLength(field.count, to: &out)
            out += field
        }
        appendLength(Int(checksum(out)), to: &out)
        return out
    }

    /// Every intact record of a cache file, later records winning, and how many octets they span: reading
    /// stops at the first damaged record.
    static func records(_ bytes: [UInt8]) -> (records: [String: IMAPMessageSummary], intact: Int) {
        var result: [String: IMAPMessageSummary] = [:]
        var index = 0, intact = 0
        while index < bytes.count {
            let start = index
            guard bytes[index] == 0x53 else { break }
            index += 1
            var fields: [[UInt8]] = []
            for _ in 0..<5 {
                guard let length = readLength(bytes, &index), length <= bytes.count - index else { return (result, intact) }
                fields.append(Array(bytes[index..<(index + length)]))
                index += length
            }
            guard let stored = readLength(bytes, &index), UInt32(stored) == checksum(bytes[start..<(index - 4)]),
                  let size = Int(String(decoding: fields[1], as: UTF8.self)) else { return (result, intact) }
            result[String(decoding: fields[0], as: UTF8.self)] =
                IMAPMessageSummary(size: size, envelope: fields[2], bodyStructure: fields[3], body: fields[4])
            intact = index
        }
        return (result, intact)
    }

    private static func appendLength(_ value: Int, to out: inout [UInt8]) {
        let v = UInt32(truncatingIfNeeded: value)
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private static func readLength(_ bytes: [UInt8], _ index: inout Int) -> Int? {
        guard index + 4 <= bytes.count else { return nil }
        let value = bytes[index..<(index + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        index += 4
        return Int(value)
    }

    /// FNV-1a, enough to tell a torn write from a record.
    private static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }
}
