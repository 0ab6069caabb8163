public import MailStore

/// The selected folder as this session numbers it (RFC 3501 §2.3.1.2). Sequence numbers change only when
/// the session reports an EXPUNGE; changes by other sessions — on this node or another one sharing the
/// store — are folded in with ``sync(_:expungeAllowed:)``, which returns the untagged responses that
/// announce them. Changes this session makes itself are recorded with ``record(_:)`` so they are not
/// announced back to it.
public struct SelectedMailbox: Sendable {
    public let folder: String
    public let readOnly: Bool
    public private(set) var uidValidity: UInt32
    public private(set) var uidNext: UInt32
    /// The messages by sequence number (index + 1), UIDs ascending; includes expunged ones not yet announced.
    public private(set) var messages: [StoredMessage]
    /// UIDs that are `\Recent` for this session (new when it first saw them).
    public private(set) var recent: Set<UInt32>
    /// UIDs gone from the store but still numbered here until EXPUNGE may be sent.
    public private(set) var pendingExpunges: Set<UInt32> = []
    /// UIDVALIDITY changed under the session: its UIDs mean nothing now and it must end the selection.
    public private(set) var isInvalidated = false
    /// The keywords the last FLAGS response named, in that order, and the same casemapped.
    public private(set) var announcedKeywords: [String] = []
    private var announced: Set<String> = []

    public init(folder: String, listing: FolderListing, readOnly: Bool) {
        self.folder = folder
        self.readOnly = readOnly
        uidValidity = listing.uidValidity
        uidNext = max(listing.nextUID, (listing.messages.last?.uid ?? 0) + 1)
        messages = listing.messages
        recent = Set(listing.messages.filter(\.isNew).map(\.uid))
        announcedKeywords = knownKeywords
        announced = Set(announcedKeywords.map { $0.lowercased() })
    }

    public var count: Int { messages.count }

    /// The work that looks at the folder again: a read-write selection claims the messages still in `new/`
    /// (they become `\Recent` for this session only), a read-only one leaves them.
    public var listingWork: IMAPWork { .listing(folder: folder, claimRecent: !readOnly) }

    /// The responses SELECT/EXAMINE start with (RFC 3501 §6.3.1), before the tagged OK.
    public var selectResponses: [String] {
        var lines = ["* \(count) EXISTS", "* \(recent.count) RECENT"] + flagsResponses + [
            "* OK [UIDVALIDITY \(uidValidity)] UIDs valid.",
            "* OK [UIDNEXT \(uidNext)] Predicted next UID.",
        ]
        if let first = messages.firstIndex(where: { !$0.flags.contains(.seen) }) {
            lines.insert("* OK [UNSEEN \(first + 1)] First unseen.", at: 3)
        }
        return lines
    }

    /// FLAGS and PERMANENTFLAGS (RFC 3501 §7.2.6, §7.1): the system flags and the announced keywords.
    public var flagsResponses: [String] {
        let flags = IMAPFlags.system.map(\.flag) + announcedKeywords.map(IMAPFlag.keyword)
        return [
            "* FLAGS \(IMAPFlag.renderList(flags))",
            "* OK [PERMANENTFLAGS \(IMAPFlag.renderList(readOnly ? [] : flags, allowsNewKeywords: !readOnly))] Flags permitted.",
        ]
    }

    /// FLAGS and PERMANENTFLAGS again when some of these messages carry a keyword not announced yet, so that
    /// a client never sees a flag its last FLAGS response did not name; nothing otherwise.
    public mutating func announceKeywords(of messages: some Sequence<StoredMessage>) -> [String] {
        var added = false
        for message in messages {
            for keyword in message.keywords where announced.insert(keyword.lowercased()).inserted {
                announcedKeywords.append(keyword)
                added = true
            }
        }
        return added ? flagsResponses : []
    }

    /// Keywords used by any message of the folder, in first-seen order.
    public var knownKeywords: [String] {
        var seen = Set<String>(), ordered: [String] = []
        for message in messages {
            for keyword in message.keywords where seen.insert(keyword.lowercased()).inserted { ordered.append(keyword) }
        }
        return ordered
    }

    /// The sequence number of a UID (binary search), nil when it is not here.
    public func sequenceNumber(ofUID uid: UInt32) -> Int? {
        var low = 0, high = messages.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if messages[mid].uid == uid { return mid + 1 }
            if messages[mid].uid < uid { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    /// The message at a sequence number (1-based).
    public func message(at sequenceNumber: Int) -> StoredMessage? {
        messages.indices.contains(sequenceNumber - 1) ? messages[sequenceNumber - 1] : nil
    }

    /// Whether a message is gone from the store (a FETCH of it answers NO, RFC 3501 §7.4.1 allows that).
    public func isExpunged(_ uid: UInt32) -> Bool { pendingExpunges.contains(uid) }

    /// The flags FETCH shows for a message.
    public func flags(_ message: StoredMessage) -> [IMAPFlag] {
        IMAPFlags.flags(message, recent: recent.contains(message.uid))
    }

    /// Records a change this session made (STORE, a flag set by FETCH BODY[]): it is not announced back.
    public mutating func record(_ updated: StoredMessage) {
        guard let n = sequenceNumber(ofUID: updated.uid) else { return }
        messages[n - 1] = updated
    }

    /// Folds in the folder as it is now. `expungeAllowed` is false during FETCH, STORE and SEARCH (RFC 3501
    /// §7.4.1): expunges then wait, keeping sequence numbers stable. Returns the untagged responses:
    /// EXPUNGE (highest sequence number first, so none needs adjusting), FETCH FLAGS, EXISTS and RECENT.
    public mutating func sync(_ listing: FolderListing, expungeAllowed: Bool) -> [String] {
        let current = FolderListing(uidValidity: uidValidity, nextUID: uidNext,
                                    messages: messages.filter { !pendingExpunges.contains($0.uid) })
        let changes = listing.changes(since: current)
        if changes.uidValidityChanged {
            isInvalidated = true
            return []
        }
        var responses: [String] = []
        pendingExpunges.formUnion(changes.expunged)
        if expungeAllowed && !pendingExpunges.isEmpty {
            for n in messages.indices.reversed() where pendingExpunges.contains(messages[n].uid) {
                responses.append("* \(n + 1) EXPUNGE")
                recent.remove(messages[n].uid)
                messages.remove(at: n)
            }
            pendingExpunges = []
        }
        responses += announceKeywords(of: changes.flagsChanged + changes.added)
        for changed in changes.flagsChanged {
            guard let n = sequenceNumber(ofUID: changed.uid) else { continue }
            messages[n - 1] = changed
            responses.append("* \(n) FETCH (UID \(changed.uid) FLAGS \(IMAPFlag.renderList(flags(changed))))")
        }
        if !changes.added.isEmpty {
            messages.append(contentsOf: changes.added)
            for message in changes.added where message.isNew { recent.insert(message.uid) }
            responses.append("* \(messages.count) EXISTS")
            responses.append("* \(recent.count) RECENT")
        }
        uidNext = max(uidNext, listing.nextUID, (messages.last?.uid ?? 0) + 1)
        return responses
    }
}
