/// What changed in a folder between two listings of it: what an IMAP session reports as untagged
/// EXPUNGE, EXISTS and FETCH FLAGS, whichever node or program made the change.
public struct FolderChanges: Hashable, Sendable {
    /// UIDs gone since the old listing, ascending.
    public var expunged: [UInt32]
    /// Messages new since the old listing, in UID order.
    public var added: [StoredMessage]
    /// Messages present in both whose flags or keywords differ (as they are now).
    public var flagsChanged: [StoredMessage]
    /// UIDVALIDITY changed: the old UIDs mean nothing any more (the session must end its selection).
    public var uidValidityChanged: Bool

    public var isEmpty: Bool { expunged.isEmpty && added.isEmpty && flagsChanged.isEmpty && !uidValidityChanged }
}

extension FolderListing {
    /// The changes from `old` to this listing, in one pass over both (messages are in UID order).
    public func changes(since old: FolderListing) -> FolderChanges {
        var changes = FolderChanges(expunged: [], added: [], flagsChanged: [], uidValidityChanged: uidValidity != old.uidValidity)
        if changes.uidValidityChanged { return changes }
        var i = old.messages.startIndex, j = messages.startIndex
        while i < old.messages.endIndex || j < messages.endIndex {
            if j == messages.endIndex || (i < old.messages.endIndex && old.messages[i].uid < messages[j].uid) {
                changes.expunged.append(old.messages[i].uid)
                i += 1
            } else if i == old.messages.endIndex || messages[j].uid < old.messages[i].uid {
                changes.added.append(messages[j])
                j += 1
            } else {
                if old.messages[i].flags != messages[j].flags || old.messages[i].keywords != messages[j].keywords {
                    changes.flagsChanged.append(messages[j])
                }
                i += 1
                j += 1
            }
        }
        return changes
    }
}
