#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// This process's last listing of each folder, reused while nothing it was made from has changed: `new/` and
/// `cur/` (a message added, removed or renamed with other flags changes their modification and change times),
/// `dovecot-uidlist` and `dovecot-keywords`. So a SELECT, a FETCH's look at the folder or an IDLE poll costs
/// four `stat` calls instead of reading both directories, as Dovecot's maildir sync checks the directories'
/// times before it scans them. Times are kept to the nanosecond but a file system's clock ticks coarser: two
/// changes inside one tick leave the same time. So a listing whose newest time is less than `settleTime` old
/// when it is made is not kept (Dovecot's rule for "too new" directories). Bounded: at most `maximumMessages`
/// messages over all folders, the least recently used folders dropped first.
///
/// This process's own flag change (`Mailbox.setFlags`) updates the kept listing in place (same UID, new file
/// name) instead of dropping it, when the folder's stamp just before the rename was the one kept. Such a listing
/// comes from no scan, and another node's rename in the same clock tick (or between the two stamps) would hide
/// behind the new stamp; so until a check made `settleTime` after its newest change has passed, each use of it
/// first compares a digest of the names in `new/` and `cur/` (one `readdir` each, no parsing) with the
/// listing's, and scans the folder as before when they differ.
final class FolderListingCache: Sendable {
    /// What a folder's listing was made from.
    struct Stamp: Hashable {
        var new: FileStamp?
        var cur: FileStamp?
        var uidlist: FileStamp?
        var keywords: FileStamp?

        /// The newest modification or change time among the four, in nanoseconds since 1970.
        var newestChange: Int64 {
            [new, cur, uidlist, keywords].compactMap { $0.map { max($0.modified, $0.changed) } }.max() ?? 0
        }
    }

    /// Identity, size and times of one file or directory.
    struct FileStamp: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        }
    }

    private struct Entry {
        var stamp: Stamp
        var listing: FolderListing
        var lastUse: UInt64
        /// Set when the listing was changed in place: the newest change it has not yet been checked against
        /// the directories after settling (nanoseconds since 1970).
        var unverifiedSince: Int64?
        /// `NameDigest.of(listing)`, kept once the listing is changed in place.
        var digest: UInt64?
    }

    /// What the cache holds for a folder and stamp.
    enum Lookup: Equatable {
        case miss
        /// The listing, as it was scanned (or checked since).
        case hit(FolderListing)
        /// A listing changed in place: usable once the names on disk give `digest` (see `NameDigest`).
        case check(FolderListing, digest: UInt64)
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var messages = 0
        var clock: UInt64 = 0
    }

    static let settleTime: Int64 = 2_000_000_000
    let maximumMessages: Int
    private let state = NIOLockedValueBox(State())

    init(maximumMessages: Int = 200_000) {
        self.maximumMessages = maximumMessages
    }

    /// The stamp of the folder at `folderPath` now.
    static func stamp(folderPath: String) throws(MailStoreError) -> Stamp {
        Stamp(new: try POSIX.status(folderPath + "/new").map(FileStamp.init),
              cur: try POSIX.status(folderPath + "/cur").map(FileStamp.init),
              uidlist: try POSIX.status(folderPath + "/dovecot-uidlist").map(FileStamp.init),
              keywords: try POSIX.status(folderPath + "/dovecot-keywords").map(FileStamp.init))
    }

    /// The listing kept for `folderPath` if it was made from exactly `stamp` and needs no check.
    func listing(folderPath: String, stamp: Stamp) -> FolderListing? {
        guard case .hit(let listing) = lookup(folderPath: folderPath, stamp: stamp) else { return nil }
        return listing
    }

    /// The listing kept for `folderPath` if it was made from exactly `stamp`, and whether it must be checked.
    func lookup(folderPath: String, stamp: Stamp) -> Lookup {
        state.withLockedValue { state in
            guard var entry = state.entries[folderPath], entry.stamp == stamp else { return .miss }
            state.clock &+= 1
            entry.lastUse = state.clock
            state.entries[folderPath] = entry
            guard entry.unverifiedSince != nil, let digest = entry.digest else { return .hit(entry.listing) }
            return .check(entry.listing, digest: digest)
        }
    }

    /// The names on disk matched the listing kept for `stamp` at `now`: once that is `settleTime` after the
    /// newest change it was updated for, no later change can hide behind the stamp, and it needs no more checks.
    func checked(folderPath: String, stamp: Stamp, now: Int64) {
        state.withLockedValue { state in
            guard let entry = state.entries[folderPath], entry.stamp == stamp,
                  let since = entry.unverifiedSince, now - since >= Self.settleTime else { return }
            state.entries[folderPath]!.unverifiedSince = nil
        }
    }

    /// This process renamed `message` (found by UID) for new flags: when the kept listing was made from `before`
    /// (the stamp taken just before the rename), it gets the message as it is now and the stamp `after`, to be
    /// checked until settled; otherwise the folder's listing is dropped.
    func replace(_ message: StoredMessage, folderPath: String, before: Stamp, after: Stamp) {
        state.withLockedValue { state in
            guard let slot = state.entries.index(forKey: folderPath) else { return }
            // Changed through the dictionary's storage, so the messages are not copied when only the cache holds them.
            guard state.entries.values[slot].stamp == before,
                  let index = Self.index(ofUID: message.uid, in: state.entries.values[slot].listing.messages) else {
                state.messages -= state.entries.values[slot].listing.messages.count
                state.entries.remove(at: slot)
                return
            }
            let old = state.entries.values[slot].listing.messages[index]
            if state.entries.values[slot].digest == nil {
                state.entries.values[slot].digest = NameDigest.of(state.entries.values[slot].listing)
            }
            state.entries.values[slot].digest! &-= NameDigest.hash(old.filename, isNew: old.isNew)
            state.entries.values[slot].digest! &+= NameDigest.hash(message.filename, isNew: message.isNew)
            state.entries.values[slot].listing.messages[index] = message
            state.entries.values[slot].stamp = after
            state.entries.values[slot].unverifiedSince = max(state.entries.values[slot].unverifiedSince ?? 0, after.newestChange)
        }
    }

    /// The index of the message with `uid` in messages sorted by UID.
    static func index(ofUID uid: UInt32, in messages: [StoredMessage]) -> Int? {
        var low = messages.startIndex, high = messages.endIndex
        while low < high {
            let middle = (low + high) / 2
            if messages[middle].uid < uid { low = middle + 1 } else { high = middle }
        }
        return low < messages.endIndex && messages[low].uid == uid ? low : nil
    }

    /// Keeps `listing`, made from `stamp` at `now` (nanoseconds since 1970), unless a time in the stamp is too
    /// recent to tell later changes apart from it; any older listing of the folder is dropped either way.
    func keep(_ listing: FolderListing, folderPath: String, stamp: Stamp, now: Int64) {
        let settled = now - stamp.newestChange >= Self.settleTime
        state.withLockedValue { state in
            if let old = state.entries.removeValue(forKey: folderPath) { state.messages -= old.listing.messages.count }
            guard settled, listing.messages.count <= maximumMessages else { return }
            state.clock &+= 1
            state.entries[folderPath] = Entry(stamp: stamp, listing: listing, lastUse: state.clock)
            state.messages += listing.messages.count
            while state.messages > maximumMessages,
                  let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries.removeValue(forKey: oldest.key)
                state.messages -= oldest.value.listing.messages.count
            }
        }
    }

    /// Forgets the folder's listing (this process changed it in a way its times might not show).
    func forget(folderPath: String) {
        state.withLockedValue { state in
            if let old = state.entries.removeValue(forKey: folderPath) { state.messages -= old.listing.messages.count }
        }
    }
}

/// An order-free digest of a folder's message file names with the directory each is in: the same for a listing
/// and for the directories it was made from, so comparing the two checks a listing without parsing a name.
/// Sums of per-name hashes (the process's random seed), so a name that differs changes the sum.
enum NameDigest {
    static func hash(_ name: UnsafeRawBufferPointer, isNew: Bool) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(isNew)
        hasher.combine(bytes: name)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    static func hash(_ filename: String, isNew: Bool) -> UInt64 {
        var filename = filename
        return filename.withUTF8 { hash(UnsafeRawBufferPointer($0), isNew: isNew) }
    }

    /// The digest of the names a listing was made from.
    static func of(_ listing: FolderListing) -> UInt64 {
        var digest: UInt64 = 0
        for message in listing.messages { digest &+= hash(message.filename, isNew: message.isNew) }
        return digest
    }

    /// The digest of the names now in the folder's `new/` and `cur/` (dot files left out, as a listing does).
    static func onDisk(folderPath: String) throws(MailStoreError) -> UInt64 {
        var digest: UInt64 = 0
        for (directory, isNew) in [("new", true), ("cur", false)] {
            _ = try POSIX.forEachEntryName(folderPath + "/" + directory) { name in
                if name.first != 0x2E { digest &+= hash(name, isNew: isNew) }
            }
        }
        return digest
    }
}
