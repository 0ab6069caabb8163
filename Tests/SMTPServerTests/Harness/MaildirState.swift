import Foundation
import ShoalTestFixtures

/// What a Maildir holds on disk: message files in new/, cur/ and tmp/, and the parsed `dovecot-uidlist`.
struct MaildirState {
    let path: String
    var new: [String] = []
    var cur: [String] = []
    var tmp: [String] = []
    var uidlistText: String?

    init(path: String) {
        self.path = path
        let files = { (sub: String) in
            ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + sub)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
        }
        new = files("new")
        cur = files("cur")
        tmp = files("tmp")
        uidlistText = try? String(contentsOfFile: path + "/dovecot-uidlist", encoding: .utf8)
    }

    func reloaded() -> MaildirState { MaildirState(path: path) }

    /// Paths of every visible message (new/ then cur/).
    var messageFiles: [String] { new.map { "\(path)/new/\($0)" } + cur.map { "\(path)/cur/\($0)" } }

    /// The contents of every visible message.
    var messages: [String] {
        messageFiles.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "<unreadable \($0)>" }
    }

    /// The messages whose Subject header is exactly `subject`.
    func messages(subject: String) -> [String] {
        messages.filter { MailText.header("Subject", in: $0) == subject }
    }

    var uidlist: UIDListFile? {
        get throws { try uidlistText.map { try UIDListFile(parsing: $0) } }
    }

    /// Every way the folder's state breaks the Maildir++/Dovecot rules: UIDs not unique or not ascending,
    /// a visible file not in the uidlist exactly once, a record without a file. `contiguous`: UIDs must be 1...n.
    func problems(contiguous: Bool = true) -> [String] {
        var problems: [String] = []
        let list: UIDListFile
        do {
            guard let parsed = try uidlist else {
                return messageFiles.isEmpty ? [] : ["no dovecot-uidlist but \(messageFiles.count) messages"]
            }
            list = parsed
        } catch {
            return ["dovecot-uidlist does not parse: \(error)"]
        }
        let uids = list.records.map(\.uid)
        if Set(uids).count != uids.count { problems.append("duplicate UIDs in \(uids)") }
        if uids != uids.sorted() { problems.append("UIDs not ascending: \(uids)") }
        if contiguous && !uids.isEmpty && uids != Array(1...UInt32(uids.count)) {
            problems.append("UIDs not 1...\(uids.count): \(uids)")
        }
        if let last = uids.max(), list.effectiveNextUID <= last {
            problems.append("next UID \(list.effectiveNextUID) not above the last UID \(last)")
        }
        if list.nextUID > (uids.max() ?? 0) + 1 && contiguous {
            problems.append("header N\(list.nextUID) skips UIDs beyond the last record \(uids.max() ?? 0)")
        }
        let names = list.records.map(\.filename)
        if Set(names).count != names.count { problems.append("a file name is listed twice") }
        let bases = (new + cur).map { MaildirState.baseName($0) }
        for base in bases where !names.contains(base) { problems.append("\(base) is not in dovecot-uidlist") }
        for name in names where !bases.contains(name) { problems.append("uidlist record \(name) has no file") }
        if Set(bases).count != bases.count { problems.append("a message is both in new/ and cur/") }
        return problems
    }

    /// The base of a Maildir file name: without `:2,FLAGS`.
    static func baseName(_ file: String) -> String {
        if let colon = file.range(of: ":2,") { return String(file[..<colon.lowerBound]) }
        return file
    }
}

/// A `dovecot-uidlist` (version 3): `3 V<validity> N<next> G<guid>`, then `<uid> [ext...] :<name>` lines.
struct UIDListFile {
    struct Record: Hashable {
        var uid: UInt32
        var filename: String
    }

    var version: Int
    var uidValidity: UInt32
    /// The header's N. Dovecot appends records without rewriting the header, so N may be at or below the last
    /// record's UID; the next UID is then the last record's plus one (`effectiveNextUID`).
    var nextUID: UInt32
    var guid: String
    var records: [Record]

    var effectiveNextUID: UInt32 { max(nextUID, (records.last?.uid ?? 0) + 1) }

    init(parsing text: String) throws {
        guard text.hasSuffix("\n") else { throw HarnessError("dovecot-uidlist does not end with a newline") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard let header = lines.first else { throw HarnessError("dovecot-uidlist is empty") }
        let fields = header.split(separator: " ")
        guard fields.first == "3" else { throw HarnessError("dovecot-uidlist header is not version 3: \(header)") }
        version = 3
        var validity: UInt32?, next: UInt32?, guid: String?
        for field in fields.dropFirst() {
            switch field.first {
            case "V": validity = UInt32(field.dropFirst())
            case "N": next = UInt32(field.dropFirst())
            case "G": guid = String(field.dropFirst())
            default: break
            }
        }
        guard let validity, validity > 0, let next, next > 0, let guid else {
            throw HarnessError("dovecot-uidlist header lacks V, N or G (or one is zero): \(header)")
        }
        guard guid.count == 32, guid.allSatisfy(\.isHexDigit) else {
            throw HarnessError("dovecot-uidlist GUID is not 32 hex digits: \(guid)")
        }
        uidValidity = validity
        nextUID = next
        self.guid = guid
        records = []
        for (index, line) in lines.dropFirst().enumerated() {
            guard let space = line.firstIndex(of: " "), let uid = UInt32(line[..<space]), uid > 0,
                  let colon = line.range(of: " :") ?? (line[line.index(after: space)...].hasPrefix(":")
                      ? line.range(of: ":") : nil) else {
                throw HarnessError("dovecot-uidlist line \(index + 2) is not `<uid> [ext] :<name>`: \(line)")
            }
            let name = String(line[colon.upperBound...])
            guard !name.isEmpty, !name.contains("/") else {
                throw HarnessError("dovecot-uidlist line \(index + 2) has a bad file name: \(line)")
            }
            records.append(Record(uid: uid, filename: name))
        }
    }
}

/// Scans of the whole store root, across every mailbox.
extension MailTestbed {
    /// Every visible message file (in any `new/` or `cur/`) anywhere under the store root.
    func storedMessageFiles() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: storeRoot) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let parts = relative.split(separator: "/")
            guard parts.count >= 2, ["new", "cur"].contains(parts[parts.count - 2]) else { continue }
            var isDirectory: ObjCBool = false
            let full = storeRoot + "/" + relative
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(full)
            }
        }
        return found.sorted()
    }

    /// Every `dovecot-uidlist` record anywhere under the store root, as `path: line`.
    func storedUIDListRecords() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: storeRoot) else { return [] }
        var records: [String] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix("dovecot-uidlist") else { continue }
            let text = (try? String(contentsOfFile: storeRoot + "/" + relative, encoding: .utf8)) ?? ""
            records += text.split(separator: "\n").dropFirst().map { "\(relative): \($0)" }
        }
        return records
    }
}
