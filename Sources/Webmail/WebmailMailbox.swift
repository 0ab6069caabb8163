import Foundation
import IMAPServer
import MIME
public import MailStore

/// One signed-in user's mailbox as the webmail pages use it: folders with unread counts, a page of the message
/// list, a message's bytes, flag changes, moves and deletes (to Trash), and storing what was sent. Every change
/// goes through `MailStore` exactly as IMAP's do (same flags in the file names, same UIDs in `dovecot-uidlist`),
/// so IMAP clients on any node see it at once.
struct WebmailMailbox: Sendable {
    static let sent = "Sent"
    static let trash = "Trash"

    let mailbox: Mailbox
    let summaries: MessageSummaryCache
    let threadValues: ThreadValuesCache
    var sortedOrders = SortedOrderCache()

    /// A folder with its counts.
    struct FolderInfo: Hashable, Sendable {
        var name: String
        var total: Int
        var unread: Int
    }

    /// One row of the message list.
    struct Row: Hashable, Sendable {
        var message: StoredMessage
        var summary: MessageSummary
        /// The depth in its thread when the list shows threads (0 otherwise).
        var depth = 0
    }

    /// Creates Sent and Trash when missing.
    func prepare() async throws(MailStoreError) {
        let existing = Set(try await mailbox.folders().map(\.name))
        for name in [Self.sent, Self.trash] where !existing.contains(name) {
            try await mailbox.createFolder(name)
        }
    }

    func folders() async throws(MailStoreError) -> [FolderInfo] {
        var result: [FolderInfo] = []
        for folder in try await mailbox.folders() where folder.selectable {
            let messages = try await mailbox.listing(folder: folder.name).messages
            result.append(FolderInfo(name: folder.name, total: messages.count, unread: messages.filter { !$0.flags.contains(.seen) }.count))
        }
        let order = ["INBOX": 0, Self.sent: 1, Self.trash: 2]
        return result.sorted { (order[$0.name] ?? 3, $0.name) < (order[$1.name] ?? 3, $1.name) }
    }

    /// One page of a folder: the rows and how many messages match in all.
    func list(_ query: MessageListQuery, pageSize: Int) async throws(MailStoreError) -> (rows: [Row], total: Int) {
        let listing = try await mailbox.listing(folder: query.folder)
        var messages = listing.messages
        let words = query.words
        if !words.isEmpty {
            // In batches: one piece of thread-pool work reads 200 messages, instead of one hop per message.
            var matching: [StoredMessage] = []
            var start = 0
            while start < messages.count {
                let batch = Array(messages[start..<min(messages.count, start + 200)])
                let contents = try await mailbox.contents(of: batch, folder: query.folder)
                for (message, bytes) in zip(batch, contents) {
                    if let bytes, MessageSearch.matches(bytes, words: words) { matching.append(message) }
                }
                start += 200
            }
            messages = matching
        }
        switch query.sort {
        case .arrivalDescending:
            messages.sort { $0.uid > $1.uid }
        case .arrivalAscending:
            messages.sort { $0.uid < $1.uid }
        case .thread:
            let order = MessageThreads.rows(IMAPThreader.references(try await sortValues(messages, folder: query.folder), uid: true))
            let page = order[query.range(total: order.count, pageSize: pageSize)]
            let byUID = Dictionary(messages.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
            var rows = try await summaries(page.compactMap { byUID[$0.uid] }, folder: query.folder)
            let depths = Dictionary(page.map { ($0.uid, $0.depth) }, uniquingKeysWith: { a, _ in a })
            for index in rows.indices { rows[index].depth = depths[rows[index].message.uid] ?? 0 }
            return (rows, order.count)
        case .subject, .from:
            // Unsearched, the folder's whole listing is sorted: the order is kept while its UIDs stay the same.
            let cacheKey = words.isEmpty ? SortedOrderCache.key(mailbox: mailbox.path, folder: query.folder, sort: "\(query.sort)") : nil
            let uids = cacheKey == nil ? [] : messages.map(\.uid)
            if let cacheKey, let order = sortedOrders.order(cacheKey, uidValidity: listing.uidValidity, uids: uids) {
                let range = query.range(total: order.count, pageSize: pageSize)
                return (try await summaries(order[range].map { messages[$0] }, folder: query.folder), order.count)
            }
            let all = try await summaries(messages, folder: query.folder)
            // Each key made once (not twice per comparison), compared as UTF-8 bytes: the order String's `<` gives
            // for these lowercased keys is by Unicode scalars (of NFC text), which UTF-8 byte order matches.
            let keyed = all.map { row in
                (key: Array((query.sort == .subject ? row.summary.subject : row.summary.from).lowercased().utf8), row: row)
            }
            let sorted = keyed.sorted { a, b in
                a.key == b.key ? a.row.message.uid > b.row.message.uid : a.key.lexicographicallyPrecedes(b.key)
            }
            // Kept only when every message had a summary (a message gone meanwhile leaves rows and listing unaligned).
            if let cacheKey, all.count == messages.count {
                let index = Dictionary(messages.enumerated().map { ($1.uid, $0) }, uniquingKeysWith: { a, _ in a })
                sortedOrders.put(cacheKey, .init(uidValidity: listing.uidValidity, uids: uids, order: sorted.compactMap { index[$0.row.message.uid] }))
            }
            let range = query.range(total: sorted.count, pageSize: pageSize)
            return (sorted[range].map(\.row), sorted.count)
        }
        let range = query.range(total: messages.count, pageSize: pageSize)
        return (try await summaries(Array(messages[range]), folder: query.folder), messages.count)
    }

    /// The summary of each message (read once per process and kept).
    func summaries(_ messages: [StoredMessage], folder: String) async throws(MailStoreError) -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(messages.count)
        for message in messages {
            let key = Self.baseName(message.filename)
            if let summary = summaries.get(key) {
                rows.append(Row(message: message, summary: summary))
                continue
            }
            guard let bytes = try await mailbox.contents(of: message, folder: folder) else { continue }
            let summary = MessageSummary(message: Self.headerBytes(bytes))
            summaries.put(key, summary)
            rows.append(Row(message: message, summary: summary))
        }
        return rows
    }

    /// The threading values of each message (read once per process and kept), in the order given; gone ones left out.
    func sortValues(_ messages: [StoredMessage], folder: String) async throws(MailStoreError) -> [IMAPSortValues] {
        var values: [IMAPSortValues] = []
        values.reserveCapacity(messages.count)
        var missing: [(index: Int, message: StoredMessage)] = []
        for (index, message) in messages.enumerated() {
            if var known = threadValues.get(Self.baseName(message.filename)) {
                known.uid = message.uid
                known.sequenceNumber = index + 1
                values.append(known)
            } else {
                missing.append((index, message))
            }
        }
        // In batches: one piece of thread-pool work each, without holding a whole large folder in memory.
        var start = 0
        while start < missing.count {
            let batch = missing[start..<min(missing.count, start + 200)]
            let contents = try await mailbox.contents(of: batch.map { $0.message }, folder: folder)
            let dates = try await mailbox.receivedDates(of: batch.map { $0.message }, folder: folder)
            for ((index, message), (bytes, date)) in zip(batch, zip(contents, dates)) {
                guard let bytes else { continue }
                let found = IMAPSortValues(sequenceNumber: index + 1, uid: message.uid, arrival: date ?? 0,
                                           size: message.virtualSize ?? message.size, header: MessageHeader(Self.headerBytes(bytes)))
                threadValues.put(Self.baseName(message.filename), found)
                values.append(found)
            }
            start += 200
        }
        return values
    }

    /// The message with this UID and its bytes; nil when it is gone.
    func message(folder: String, uid: UInt32) async throws(MailStoreError) -> (StoredMessage, [UInt8])? {
        guard let message = try await mailbox.listing(folder: folder).messages.first(where: { $0.uid == uid }),
              let bytes = try await mailbox.contents(of: message, folder: folder) else { return nil }
        return (message, bytes)
    }

    /// Adds and removes flags on messages; returns how many changed.
    @discardableResult
    func changeFlags(folder: String, uids: Set<UInt32>, add: Set<MailFlag> = [], remove: Set<MailFlag> = []) async throws(MailStoreError) -> Int {
        var changed = 0
        for message in try await mailbox.listing(folder: folder).messages where uids.contains(message.uid) {
            let flags = message.flags.union(add).subtracting(remove)
            guard flags != message.flags || message.isNew else { continue }
            if try await mailbox.setFlags(message, folder: folder, flags: flags, keywords: message.keywords) != nil { changed += 1 }
        }
        return changed
    }

    /// Marks a message just read as seen (the message as `message(folder:uid:)` gave it: no second listing).
    func markSeen(_ message: StoredMessage, folder: String) async throws(MailStoreError) {
        _ = try await mailbox.setFlags(message, folder: folder, flags: message.flags.union([.seen]), keywords: message.keywords)
    }

    /// Moves messages to another folder (copy, then remove: IMAP clients see an EXPUNGE and a new UID there).
    @discardableResult
    func move(folder: String, uids: Set<UInt32>, to target: String) async throws(MailStoreError) -> Int {
        guard folder != target else { return 0 }
        let messages = try await mailbox.listing(folder: folder).messages.filter { uids.contains($0.uid) }
        let copied = try await mailbox.copy(messages, from: folder, to: target)
        let done = Set(copied.map(\.source))
        _ = try await mailbox.remove(messages.filter { done.contains($0.uid) }, folder: folder)
        return done.count
    }

    /// Deletes messages: to Trash, or for good when they are in Trash already.
    @discardableResult
    func delete(folder: String, uids: Set<UInt32>) async throws(MailStoreError) -> Int {
        if folder == Self.trash {
            let messages = try await mailbox.listing(folder: folder).messages.filter { uids.contains($0.uid) }
            return try await mailbox.remove(messages, folder: folder).count
        }
        return try await move(folder: folder, uids: uids, to: Self.trash)
    }

    /// Stores a sent message in Sent, seen.
    func storeSent(_ bytes: [UInt8]) async throws(MailStoreError) {
        _ = try await mailbox.append(bytes, folder: Self.sent, flags: [.seen])
    }

    /// The bytes of the header (up to the first empty line).
    static func headerBytes(_ bytes: [UInt8]) -> [UInt8] {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10, bytes[i + 1] == 10 { return Array(bytes[...i]) }
            if bytes[i] == 10, bytes[i + 1] == 13, i + 2 < bytes.count, bytes[i + 2] == 10 { return Array(bytes[...(i + 2)]) }
            i += 1
        }
        return bytes
    }

    static func baseName(_ filename: String) -> String {
        String(filename.split(separator: ":", maxSplits: 1).first ?? Substring(filename))
    }
}

/// Search of the message list: every word in the decoded subject, from, to, cc or text body (case-insensitive).
enum MessageSearch {
    static func matches(_ bytes: [UInt8], words: [String]) -> Bool {
        let message = MIMEMessageText(bytes)
        return words.allSatisfy { word in message.haystack.contains(word) }
    }
}
