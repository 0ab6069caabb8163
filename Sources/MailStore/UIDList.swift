/// The `dovecot-uidlist` of one Maildir folder, version 3: `3 V<validity> N<next> G<guid>` then `<uid> [ext...] :<base>`.
struct UIDList: Equatable, Sendable {
    /// One message: its UID, extension fields kept verbatim (e.g. `W1234`) and its base file name.
    struct Record: Equatable, Sendable {
        var uid: UInt32
        var extensions: [String]
        var filename: String
    }

    var version: Int
    var uidValidity: UInt32
    /// The header's `N`; Dovecot appends records without raising it, so see `nextUID`.
    var headerNextUID: UInt32
    var guid: String
    /// Header fields other than V, N and G, kept verbatim.
    var headerExtensions: [String]
    var records: [Record]
    /// False when the file's last line lacks its newline (an interrupted append): appending is unsafe.
    var endsWithNewline: Bool

    /// A new, empty version 3 list.
    init(uidValidity: UInt32, guid: String) {
        version = 3
        self.uidValidity = uidValidity
        headerNextUID = 1
        self.guid = guid
        headerExtensions = []
        records = []
        endsWithNewline = true
    }

    /// The UID the next message gets: above both the header's N and the last record.
    var nextUID: UInt32 { max(headerNextUID, (records.last?.uid ?? 0) + 1) }

    /// Whether a record line can be appended to the file as it is.
    var canAppend: Bool { version == 3 && endsWithNewline }

    var headerLine: String {
        (["3", "V\(uidValidity)", "N\(headerNextUID)", "G\(guid)"] + headerExtensions).joined(separator: " ") + "\n"
    }

    static func line(for record: Record) -> String {
        (["\(record.uid)"] + record.extensions + [":" + record.filename]).joined(separator: " ") + "\n"
    }

    /// The whole file in version 3, with the header's N brought up to date.
    func serialized() -> [UInt8] {
        var copy = self
        copy.headerNextUID = nextUID
        var text = copy.headerLine
        for record in records { text += Self.line(for: record) }
        return Array(text.utf8)
    }

    /// Parses versions 3 and 1; an unfinished last line (no newline yet) is ignored.
    static func parse(_ bytes: [UInt8], path: String) throws(MailStoreError) -> UIDList {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let endsWithNewline = bytes.last == 10
        lines.removeLast()  // the piece after the last newline: empty, or unfinished
        guard let header = lines.first else { throw .corruptFile(path: path, line: 1, reason: "no header line") }
        var list = try parseHeader(header, path: path)
        list.endsWithNewline = endsWithNewline
        for (offset, line) in lines.dropFirst().enumerated() where !line.isEmpty {
            let record = try parseRecord(line, version: list.version, path: path, line: offset + 2)
            if let last = list.records.last, record.uid <= last.uid {
                throw .corruptFile(path: path, line: offset + 2, reason: "UID \(record.uid) not above \(last.uid)")
            }
            list.records.append(record)
        }
        return list
    }

    private static func parseHeader(_ line: Substring, path: String) throws(MailStoreError) -> UIDList {
        let fields = line.split(separator: " ")
        func bad(_ reason: String) -> MailStoreError { .corruptFile(path: path, line: 1, reason: reason) }
        switch fields.first {
        case "1":
            guard fields.count >= 3, let validity = UInt32(fields[1]), let next = UInt32(fields[2]) else {
                throw bad("version 1 header needs `1 <uidvalidity> <nextuid>`")
            }
            var list = UIDList(uidValidity: validity, guid: "")
            list.version = 1
            list.headerNextUID = next
            return list
        case "3":
            var list = UIDList(uidValidity: 0, guid: "")
            var sawValidity = false, sawNext = false
            for field in fields.dropFirst() {
                let value = field.dropFirst()
                switch field.first {
                case "V":
                    guard let number = UInt32(value) else { throw bad("bad UIDVALIDITY field \(field)") }
                    list.uidValidity = number
                    sawValidity = true
                case "N":
                    guard let number = UInt32(value) else { throw bad("bad next UID field \(field)") }
                    list.headerNextUID = number
                    sawNext = true
                case "G": list.guid = String(value)
                default: list.headerExtensions.append(String(field))
                }
            }
            guard sawValidity, sawNext, list.uidValidity != 0 else { throw bad("version 3 header lacks V or N") }
            return list
        default:
            throw bad("unsupported uidlist version \(fields.first.map(String.init) ?? "")")
        }
    }

    private static func parseRecord(
        _ line: Substring, version: Int, path: String, line number: Int
    ) throws(MailStoreError) -> Record {
        guard let space = line.firstIndex(of: " "), let uid = UInt32(line[..<space]), uid > 0 else {
            throw .corruptFile(path: path, line: number, reason: "record does not start with a UID")
        }
        var rest = line[line.index(after: space)...]
        if version == 1 { return Record(uid: uid, extensions: [], filename: String(rest)) }
        var extensions: [String] = []
        while !rest.hasPrefix(":") {
            guard let next = rest.firstIndex(of: " ") else {
                throw .corruptFile(path: path, line: number, reason: "record has no `:<filename>` field")
            }
            if next > rest.startIndex { extensions.append(String(rest[..<next])) }
            rest = rest[rest.index(after: next)...]
        }
        let filename = rest.dropFirst()
        guard !filename.isEmpty else { throw .corruptFile(path: path, line: number, reason: "empty filename") }
        return Record(uid: uid, extensions: extensions, filename: String(filename))
    }
}
