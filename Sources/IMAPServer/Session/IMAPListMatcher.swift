import MIME
import MailStore

/// LIST and LSUB (RFC 3501 §6.3.8–9, RFC 6154 special-use, RFC 3348 children): which folders a pattern
/// names and how each is shown. The hierarchy delimiter is `/`.
enum IMAPListMatcher {
    static let delimiter: Character = "/"

    /// Special-use attributes of the standard folders (RFC 6154).
    static let specialUse: [String: String] = ["Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Junk": "\\Junk"]

    static func responses(_ list: IMAPListCommand, folders: [MailFolder], subscribed: [String], lsub: Bool) -> [String] {
        // LIST "" "": the delimiter and the root (RFC 3501 §6.3.8).
        if list.patterns == [""] && !lsub { return ["* LIST (\\Noselect) \"/\" \"\"\r\n"] }
        let subscribedSet = Set(subscribed.map { $0.uppercased() == "INBOX" ? "INBOX" : $0 })
        let onlySubscribed = lsub || list.selectionOptions.contains(.subscribed)
        let onlySpecialUse = list.selectionOptions.contains(.specialUse)
        var lines: [String] = []
        for folder in folders {
            let name = folder.name
            guard list.patterns.contains(where: { matches(name, pattern: list.reference + $0) }) else { continue }
            if onlySubscribed && !subscribedSet.contains(name) { continue }
            let use = specialUse[name]
            if onlySpecialUse && use == nil { continue }
            var attributes: [String] = []
            if !folder.selectable { attributes.append("\\Noselect") }
            if !lsub { attributes.append(folder.hasChildren ? "\\HasChildren" : "\\HasNoChildren") }
            if let use, !lsub { attributes.append(use) }
            let showSubscribed = list.selectionOptions.contains(.subscribed) || list.returnOptions.contains(.subscribed)
            if showSubscribed && subscribedSet.contains(name) { attributes.append("\\Subscribed") }
            let wire = IMAPMailboxName(decoded: name)
            lines.append("* \(lsub ? "LSUB" : "LIST") (\(attributes.joined(separator: " "))) \"/\" \(IMAPString.renderMailbox(wire))\r\n")
        }
        return lines
    }

    /// `*` matches anything, `%` anything but the delimiter; INBOX matches case-insensitively.
    static func matches(_ name: String, pattern: String) -> Bool {
        let nameChars = Array(name.uppercased() == "INBOX" ? "INBOX" : name)
        var patternText = pattern
        if patternText.uppercased() == "INBOX" { patternText = "INBOX" }
        let patternChars = Array(patternText)
        // Iterative matching with memo over (i, j): linear in name × pattern, no exponential backtracking.
        var memo = [[Bool?]](repeating: [Bool?](repeating: nil, count: patternChars.count + 1), count: nameChars.count + 1)
        func match(_ i: Int, _ j: Int) -> Bool {
            if let known = memo[i][j] { return known }
            let result: Bool
            if j == patternChars.count {
                result = i == nameChars.count
            } else if patternChars[j] == "*" {
                result = match(i, j + 1) || (i < nameChars.count && match(i + 1, j))
            } else if patternChars[j] == "%" {
                result = match(i, j + 1) || (i < nameChars.count && nameChars[i] != delimiter && match(i + 1, j))
            } else {
                result = i < nameChars.count && nameChars[i] == patternChars[j] && match(i + 1, j + 1)
            }
            memo[i][j] = result
            return result
        }
        guard nameChars.count <= 1024, patternChars.count <= 1024 else { return false }
        return match(0, 0)
    }
}
