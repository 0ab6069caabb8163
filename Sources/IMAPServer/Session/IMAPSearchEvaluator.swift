import MIME
import MailStore

/// Decides SEARCH keys (RFC 3501 §6.4.4) for one message: flags and numbers from the listing, dates from the
/// file, header and text keys from the parsed message (case-insensitive substring, RFC 2047 words decoded).
struct IMAPSearchEvaluator {
    let box: SelectedMailbox

    /// What the keys need besides the listing.
    static func needs(_ key: IMAPSearchKey) -> (contents: Bool, receivedDate: Bool) {
        switch key {
        case .bcc, .body, .cc, .from, .subject, .text, .to, .header, .sentBefore, .sentOn, .sentSince: return (true, false)
        case .before, .on, .since: return (false, true)
        case let .not(inner): return needs(inner)
        case let .or(a, b):
            let (x, y) = (needs(a), needs(b))
            return (x.contents || y.contents, x.receivedDate || y.receivedDate)
        case let .and(keys):
            return keys.map(needs).reduce((false, false)) { ($0.0 || $1.0, $0.1 || $1.1) }
        default: return (false, false)
        }
    }

    func matches(_ key: IMAPSearchKey, sequenceNumber: Int, message: StoredMessage, contents: MIMEMessage?, receivedDate: Int64?) -> Bool {
        func recurse(_ key: IMAPSearchKey) -> Bool {
            matches(key, sequenceNumber: sequenceNumber, message: message, contents: contents, receivedDate: receivedDate)
        }
        let flags = message.flags
        let recent = box.recent.contains(message.uid)
        switch key {
        case .all: return true
        case .answered: return flags.contains(.replied)
        case .deleted: return flags.contains(.trashed)
        case .draft: return flags.contains(.draft)
        case .flagged: return flags.contains(.flagged)
        case .seen: return flags.contains(.seen)
        case .unanswered: return !flags.contains(.replied)
        case .undeleted: return !flags.contains(.trashed)
        case .undraft: return !flags.contains(.draft)
        case .unflagged: return !flags.contains(.flagged)
        case .unseen: return !flags.contains(.seen)
        case .recent: return recent
        case .new: return recent && !flags.contains(.seen)
        case .old: return !recent
        case let .keyword(name): return message.keywords.contains { $0.lowercased() == name.lowercased() }
        case let .unkeyword(name): return !message.keywords.contains { $0.lowercased() == name.lowercased() }
        case let .larger(size): return (message.virtualSize ?? message.size) > UInt64(size)
        case let .smaller(size): return (message.virtualSize ?? message.size) < UInt64(size)
        case let .uid(set): return set.contains(uid: message.uid, largestUID: box.messages.last?.uid ?? 0)
        case let .sequenceNumbers(set): return set.contains(sequenceNumber: UInt32(sequenceNumber), messageCount: UInt32(box.count))
        case let .not(inner): return !recurse(inner)
        case let .or(a, b): return recurse(a) || recurse(b)
        case let .and(keys): return keys.allSatisfy(recurse)
        case let .before(date): return day(receivedDate).map { $0 < date.daysSince1970 } ?? false
        case let .on(date): return day(receivedDate).map { $0 == date.daysSince1970 } ?? false
        case let .since(date): return day(receivedDate).map { $0 >= date.daysSince1970 } ?? false
        case let .sentBefore(date): return sentDay(contents).map { $0 < date.daysSince1970 } ?? false
        case let .sentOn(date): return sentDay(contents).map { $0 == date.daysSince1970 } ?? false
        case let .sentSince(date): return sentDay(contents).map { $0 >= date.daysSince1970 } ?? false
        case let .from(text): return header("From", contains: text, contents)
        case let .to(text): return header("To", contains: text, contents)
        case let .cc(text): return header("Cc", contains: text, contents)
        case let .bcc(text): return header("Bcc", contains: text, contents)
        case let .subject(text): return header("Subject", contains: text, contents)
        case let .header(field, value): return header(field, contains: value, contents)
        case let .body(text): return body(contents, contains: text)
        case let .text(text):
            guard let contents else { return false }
            return Self.contains(contents.header.bytes, text) || body(contents, contains: text)
        case .modSeq: return true
        }
    }

    private func day(_ seconds: Int64?) -> Int? {
        seconds.map { Int(($0 >= 0 ? $0 : $0 - 86_399) / 86_400) }
    }

    private func header(_ name: String, contains text: String, _ contents: MIMEMessage?) -> Bool {
        guard let contents else { return false }
        let fields = contents.header.fields(named: name)
        if fields.isEmpty { return false }
        if text.isEmpty { return true }
        let isAddressField = Self.addressFields.contains(name.lowercased())
        return fields.contains { field in
            if Self.contains(Array(EncodedWord.decode(contents.header.value(of: field)).utf8), text) { return true }
            // Address fields also match their addresses as ENVELOPE has them (RFC 3501: "the envelope
            // structure's FROM field"): `<user (comment)@ (comment) domain.org>` matches `user@domain.org`.
            return isAddressField && Self.addressForms(contents.header.rawValue(of: field)).contains { Self.contains($0, text) }
        }
    }

    static let addressFields: Set<String> = ["from", "to", "cc", "bcc", "sender", "reply-to"]

    /// Each address of an address field as `mailbox@host` and, with a display name, `Name <mailbox@host>`
    /// (names decoded); group markers give their name.
    static func addressForms(_ raw: some Collection<UInt8>) -> [[UInt8]] {
        AddressParser.parse(raw).compactMap { address -> [UInt8]? in
            guard let mailbox = address.mailbox else { return nil }
            var spec = mailbox.bytes
            if let host = address.host { spec += [UInt8(ascii: "@")] + host.bytes }
            guard let name = address.name, !name.bytes.isEmpty else { return spec }
            return Array(EncodedWord.decode(bytes: name.bytes).utf8) + Array(" <".utf8) + spec + [UInt8(ascii: ">")]
        }
    }

    private func body(_ contents: MIMEMessage?, contains text: String) -> Bool {
        guard let contents, let bytes = contents.bytes(of: MessageSection(text: .text)) else { return false }
        return Self.contains(bytes, text)
    }

    /// Case-insensitive (ASCII) substring search.
    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let target = Array(needle.utf8).map(fold)
        guard !target.isEmpty else { return true }
        guard haystack.count >= target.count else { return false }
        var index = 0
        while index + target.count <= haystack.count {
            if fold(haystack[index]) == target[0] {
                var offset = 1
                while offset < target.count && fold(haystack[index + offset]) == target[offset] { offset += 1 }
                if offset == target.count { return true }
            }
            index += 1
        }
        return false
    }

    static func fold(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

    /// The day of the Date: header (RFC 5322 `[day-name,] d month yyyy ...`), days since 1970.
    private func sentDay(_ contents: MIMEMessage?) -> Int? {
        guard let value = contents?.header.value(named: "Date") else { return nil }
        let tokens = value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        for (index, token) in tokens.enumerated() where index + 2 < tokens.count {
            guard let day = Int(token), let month = months.firstIndex(of: tokens[index + 1].lowercased().prefix(3).description),
                  let year = Int(tokens[index + 2]) else { continue }
            return IMAPDate(day: day, month: month + 1, year: year)?.daysSince1970
        }
        return nil
    }
}
