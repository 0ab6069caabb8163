import Foundation

/// IMAP response text from two servers made comparable: lines grouped by the command that got them, LIST
/// lines reduced to what both servers must agree on (name with `/` as delimiter, attributes as a sorted set
/// without special-use and optional ones, extended data), each STATUS joined to the LIST line it follows.
enum IMAPResponses {
    /// Special-use attributes: configured per server, so left out of comparisons.
    static let specialUse: Set<String> = ["\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive", "\\All", "\\Flagged"]
    /// Optional attributes (RFC 3501 §7.2.2) a server may give or not: \Marked and \Unmarked (Dovecot guesses them
    /// from the Maildir's directory times).
    static let optional: Set<String> = ["\\MARKED", "\\UNMARKED"]

    /// Dovecot's pre-authenticated session output split by tags `d0`, `d1`, …: the untagged lines of each.
    static func groups(dovecot text: String, count: Int) -> [[String]] {
        var groups = [[String]](repeating: [], count: count)
        var current: [String] = []
        for line in text.components(separatedBy: "\r\n") {
            if line.hasPrefix("* PREAUTH") { continue }
            if line.hasPrefix("* ") { current.append(line); continue }
            let tag = line.prefix { $0 != " " }
            if tag.hasPrefix("d"), let index = Int(tag.dropFirst()), groups.indices.contains(index) {
                groups[index] = current
                current = []
            }
        }
        return groups
    }

    /// The comparable form of one command's untagged lines, sorted.
    static func normalized(_ lines: [String]) -> [String] {
        var items: [String] = []
        for line in lines where line.hasPrefix("* ") {
            if line.hasPrefix("* LIST ") {
                items.append(list(line))
            } else if line.hasPrefix("* STATUS "), !items.isEmpty {
                items[items.count - 1] += " | " + line.replacingOccurrences(of: ".", with: "/")
            } else if line.hasPrefix("* ESEARCH (TAG \""), let end = line.dropFirst(15).firstIndex(of: ")") {
                items.append("* ESEARCH (TAG)" + line[line.index(after: end)...])  // the tags differ
            } else {
                items.append(line)
            }
        }
        return items.sorted()
    }

    /// `* LIST (\B \A) "." X.Y (CHILDINFO ("SUBSCRIBED"))` → `LIST X/Y (\A \B) (CHILDINFO ("SUBSCRIBED"))`.
    static func list(_ line: String) -> String {
        guard let open = line.firstIndex(of: "("), let close = line[open...].firstIndex(of: ")") else { return line }
        let attributes = line[line.index(after: open)..<close].split(separator: " ").map(String.init)
            .filter { !specialUse.contains($0) && !optional.contains($0.uppercased()) }.sorted()
        var rest = line[line.index(after: close)...].drop { $0 == " " }
        var delimiter = "/"
        if rest.hasPrefix("\"") && rest.count >= 3 {
            delimiter = String(rest[rest.index(after: rest.startIndex)])
            rest = rest.dropFirst(3).drop { $0 == " " }
        }
        var name = String(rest.prefix { $0 != " " })
        let extended = rest.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        if delimiter != "/" { name = name.replacingOccurrences(of: delimiter, with: "/") }
        return "LIST \(name) (\(attributes.joined(separator: " ")))" + (extended.isEmpty ? "" : " " + extended)
    }
}
