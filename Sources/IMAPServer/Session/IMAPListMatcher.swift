import MIME
import MailStore

/// LIST and LSUB (RFC 3501 §6.3.8–9, RFC 5258 LIST-EXTENDED, RFC 6154 special-use, RFC 3348 children):
/// which mailboxes a command names and how each is shown. The hierarchy delimiter is `/`.
enum IMAPListMatcher {
    static let delimiter: Character = "/"

    /// Special-use attributes of the standard folders (RFC 6154).
    static let specialUse: [String: String] = ["Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Junk": "\\Junk"]

    /// One untagged LIST/LSUB line and, for LIST-STATUS (RFC 5819), the folder whose STATUS follows it.
    struct Entry: Hashable, Sendable {
        var line: String
        var name: String
        /// The store folder to give STATUS for (a selectable folder that meets the selection criteria: a parent
        /// listed only for CHILDINFO gets none, as with Dovecot), nil for none.
        var statusFolder: String?
    }

    static func responses(_ list: IMAPListCommand, folders: [MailFolder], subscribed: [String], lsub: Bool) -> [String] {
        entries(list, folders: folders, subscribed: subscribed, lsub: lsub).map(\.line)
    }

    static func entries(_ list: IMAPListCommand, folders: [MailFolder], subscribed: [String], lsub: Bool) -> [Entry] {
        // LIST "" "": the delimiter and the root (RFC 3501 §6.3.8).
        if list.patterns == [""] && !lsub { return [Entry(line: "* LIST (\\Noselect) \"/\" \"\"\r\n", name: "", statusFolder: nil)] }
        let subscribedSet = Set(subscribed.map(canonical))
        if lsub { return lsubEntries(list, folders: folders, subscribed: subscribedSet) }
        let selectSubscribed = list.selectionOptions.contains(.subscribed)
        let selectSpecialUse = list.selectionOptions.contains(.specialUse)
        let recursive = list.selectionOptions.contains(.recursiveMatch)
        let showSubscribed = selectSubscribed || list.returnOptions.contains(.subscribed)
        let byName = Dictionary(folders.map { (canonical($0.name), $0) }, uniquingKeysWith: { a, _ in a })

        /// Whether a name meets the selection criteria (RFC 5258 §3.1); without criteria, whether it exists.
        func meets(_ name: String) -> Bool {
            if !selectSubscribed && !selectSpecialUse { return byName[name] != nil }
            if selectSubscribed && !subscribedSet.contains(name) { return false }
            if selectSpecialUse && (byName[name] == nil || specialUse[name] == nil) { return false }
            return true
        }
        func matchesPattern(_ name: String) -> Bool {
            let wire = IMAPMailboxName(decoded: name).wire
            return list.patterns.contains { matches(wire, pattern: list.reference + $0) }
        }

        // Every name that may be listed: the folders, subscribed names that do not exist, and (RECURSIVEMATCH)
        // the parents of names that meet the criteria.
        var candidates = folders.map { canonical($0.name) }
        var known = Set(candidates)
        var extra: [String] = []
        for name in subscribedSet.sorted() where selectSubscribed && known.insert(name).inserted { extra.append(name) }
        let meeting = known.filter(meets)
        var childMeets = Set<String>()
        if recursive {
            for name in meeting {
                var parts = name.split(separator: delimiter).dropLast()
                while !parts.isEmpty {
                    let parent = parts.joined(separator: String(delimiter))
                    childMeets.insert(parent)
                    if known.insert(parent).inserted { extra.append(parent) }
                    parts = parts.dropLast()
                }
            }
        }
        candidates += extra.sorted()

        var entries: [Entry] = []
        for name in candidates where matchesPattern(name) {
            let meetsCriteria = meeting.contains(name)
            let hasMeetingChild = childMeets.contains(name)
            // A parent that does not meet the criteria is listed only for a meeting descendant the patterns miss.
            if !meetsCriteria {
                guard hasMeetingChild, meeting.contains(where: { $0.hasPrefix(name + "/") && !matchesPattern($0) }) else { continue }
            }
            let folder = byName[name]
            let exists = folder?.selectable == true || (folder != nil && !list.isExtended)
            var attributes: [String] = []
            if showSubscribed && subscribedSet.contains(name) { attributes.append("\\Subscribed") }
            // A level that only exists through its children is \Noselect in a basic LIST, \NonExistent in an
            // extended one (RFC 5258 §3.4), as Dovecot shows Maildir++ levels.
            if !exists { attributes.append("\\NonExistent") } else if folder?.selectable == false { attributes.append("\\Noselect") }
            // Children are shown in a basic LIST (RFC 3348) and when RETURN (CHILDREN) asks (RFC 5258 §4).
            if !list.isExtended || list.returnOptions.contains(.children) {
                let hasChildren = folder?.hasChildren ?? folders.contains { canonical($0.name).hasPrefix(name + "/") }
                attributes.append(hasChildren ? "\\HasChildren" : "\\HasNoChildren")
            }
            let showSpecialUse = !list.isExtended || selectSpecialUse || list.returnOptions.contains(.specialUse)
            if exists, showSpecialUse, let use = specialUse[name] { attributes.append(use) }
            var line = "* LIST (\(attributes.joined(separator: " "))) \"/\" \(IMAPString.renderMailbox(IMAPMailboxName(decoded: name)))"
            if recursive && hasMeetingChild {
                // The tag is an astring: written as Dovecot writes it.
                let criteria = (selectSubscribed ? ["\"SUBSCRIBED\""] : []) + (selectSpecialUse ? ["\"SPECIAL-USE\""] : [])
                line += " (CHILDINFO (\(criteria.joined(separator: " "))))"
            }
            entries.append(Entry(line: line + "\r\n", name: name, statusFolder: meetsCriteria && exists && folder?.selectable == true ? name : nil))
        }
        return entries
    }

    /// LSUB: the subscribed folders that exist and match; then, for a `%` pattern that stops above a
    /// subscribed folder, its ancestor at that level with `\Noselect` unless it is listed already (RFC 3501
    /// §6.3.9: `foo` for a subscribed `foo/bar` and the pattern `%`).
    private static func lsubEntries(_ list: IMAPListCommand, folders: [MailFolder], subscribed: Set<String>) -> [Entry] {
        func line(_ attributes: String, _ name: String) -> String {
            "* LSUB (\(attributes)) \"/\" \(IMAPString.renderMailbox(IMAPMailboxName(decoded: name)))\r\n"
        }
        var entries = folders.compactMap { folder -> Entry? in
            let name = canonical(folder.name)
            let wire = IMAPMailboxName(decoded: name).wire
            guard subscribed.contains(name), list.patterns.contains(where: { matches(wire, pattern: list.reference + $0) }) else { return nil }
            return Entry(line: line(folder.selectable ? "" : "\\Noselect", name), name: name, statusFolder: nil)
        }
        var listed = Set(entries.map(\.name))
        let partial = list.patterns.map { list.reference + $0 }.filter { $0.contains("%") && !$0.contains("*") }
        guard !partial.isEmpty else { return entries }
        for name in subscribed.sorted() {
            let levels = name.split(separator: delimiter, omittingEmptySubsequences: false)
            guard levels.count > 1 else { continue }
            for depth in 1..<levels.count {
                let ancestor = canonical(levels[0..<depth].joined(separator: String(delimiter)))
                let wire = IMAPMailboxName(decoded: ancestor).wire
                guard !listed.contains(ancestor), partial.contains(where: { matches(wire, pattern: $0) }) else { continue }
                listed.insert(ancestor)
                entries.append(Entry(line: line("\\Noselect", ancestor), name: ancestor, statusFolder: nil))
            }
        }
        return entries
    }

    /// INBOX in any case is `INBOX`.
    static func canonical(_ name: String) -> String { name.uppercased() == "INBOX" ? "INBOX" : name }

    /// `*` matches anything, `%` anything but the delimiter; INBOX matches case-insensitively.
    static func matches(_ name: String, pattern: String) -> Bool {
        let nameChars = Array(canonical(name))
        let patternChars = Array(canonical(pattern))
        guard nameChars.count <= 1024, patternChars.count <= 1024 else { return false }
        // Matching with memo over (i, j): linear in name × pattern, no exponential backtracking.
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
        return match(0, 0)
    }
}
