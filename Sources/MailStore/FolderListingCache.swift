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

    /// The listing kept for `folderPath` if it was made from exactly `stamp`.
    func listing(folderPath: String, stamp: Stamp) -> FolderListing? {
        state.withLockedValue { state in
            guard var entry = state.entries[folderPath], entry.stamp == stamp else { return nil }
            state.clock &+= 1
            entry.lastUse = state.clock
            state.entries[folderPath] = entry
            return entry.listing
        }
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
