import MIME
import MailStore

/// LIST (RFC 3501, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS) and STATUS lines.
extension IMAPSession {
    /// The most patterns one LIST may name.
    static let maximumListPatterns = 64

    mutating func list(tag: String, _ list: IMAPListCommand) -> [IMAPAction] {
        for case let .other(name) in list.selectionOptions { return bad(tag, "Unknown LIST selection option \(name.prefix(20)).") }
        for case let .other(name) in list.returnOptions { return bad(tag, "Unknown LIST return option \(name.prefix(20)).") }
        // RECURSIVEMATCH needs a selection option other than REMOTE (RFC 5258 §3.1).
        if list.selectionOptions.contains(.recursiveMatch)
            && !list.selectionOptions.contains(where: { $0 != .recursiveMatch && $0 != .remote }) {
            return bad(tag, "RECURSIVEMATCH needs another selection option.")
        }
        if list.patterns.count > Self.maximumListPatterns { return bad(tag, "Too many mailbox patterns.") }
        pending = .list(tag: tag, list, lsub: false)
        return [.perform(.folders)]
    }

    mutating func listWorked(tag: String, _ list: IMAPListCommand, lsub: Bool, _ result: IMAPWorkResult) -> [IMAPAction] {
        guard case let .folders(folders, subscribed) = result else { return failed(tag, result) }
        let entries = IMAPListMatcher.entries(list, folders: folders, subscribed: subscribed, lsub: lsub)
        let done = ok(tag, "\(lsub ? "Lsub" : "List") completed.")
        let attributes = list.returnOptions.compactMap { option -> [IMAPStatusAttribute]? in
            if case let .status(items) = option { return items } else { return nil }
        }.flatMap { $0 }
        let statusFolders = entries.compactMap(\.statusFolder)
        if lsub || attributes.isEmpty || statusFolders.isEmpty { return entries.map { .send($0.line) } + [done] }
        pending = .listStatus(tag: tag, entries, attributes)
        return [.perform(.listings(folders: statusFolders))]
    }

    /// Each LIST line, then the STATUS of its folder (RFC 5819 §2).
    mutating func listStatusWorked(tag: String, _ entries: [IMAPListMatcher.Entry], _ attributes: [IMAPStatusAttribute],
                                   _ result: IMAPWorkResult) -> [IMAPAction] {
        guard case let .listings(listings) = result else { return failed(tag, result) }
        var out: [IMAPAction] = []
        var next = listings.makeIterator()
        for entry in entries {
            out.append(.send(entry.line))
            guard entry.statusFolder != nil, let listing = next.next() else { continue }
            if let listing {
                out.append(.send(Self.statusLine(IMAPString.renderMailbox(IMAPMailboxName(decoded: entry.name)), listing, attributes)))
            }
        }
        return out + [ok(tag, "List completed.")]
    }

    /// `* STATUS name (ITEM n ...)` for a folder's listing.
    static func statusLine(_ renderedName: String, _ listing: FolderListing, _ attributes: [IMAPStatusAttribute]) -> String {
        let items = attributes.map { attribute -> String in
            switch attribute {
            case .messages: "MESSAGES \(listing.messages.count)"
            case .recent: "RECENT \(listing.messages.filter(\.isNew).count)"
            case .uidNext: "UIDNEXT \(max(listing.nextUID, (listing.messages.last?.uid ?? 0) + 1))"
            case .uidValidity: "UIDVALIDITY \(listing.uidValidity)"
            case .unseen: "UNSEEN \(listing.messages.filter { !$0.flags.contains(.seen) }.count)"
            case .size: "SIZE \(listing.messages.reduce(0) { $0 + ($1.virtualSize ?? $1.size) })"
            default: "\(attribute.rawValue) 0"
            }
        }
        return "* STATUS \(renderedName) (\(items.joined(separator: " ")))\r\n"
    }
}
