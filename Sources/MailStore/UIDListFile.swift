import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Writing `dovecot-uidlist` while its dotlock is held, in Dovecot's two ways: append, or replace via the lock file.
extension UIDList {
    /// Appends record lines while the file allows it, else writes the whole list into the lock and renames it over.
    ///
    /// `fsync` applies to the rewrite only, which replaces the whole file and must never leave it empty or partial
    /// under its name. The append is one `write` and is not flushed: the messages it records are already durable
    /// in `new/` or `cur/`, so if a crash loses the records (or leaves an unfinished last line, which `parse`
    /// ignores and which makes the next writer rewrite the file), the next sync gives those files UIDs again, in
    /// delivery order, as `Listing` does and as Dovecot's maildir sync does for files it finds without a record.
    /// Waiting for that flush before acknowledging a delivery would add a disk round trip without protecting any
    /// message. (Dovecot itself fdatasyncs its uidlist writes unless `mail_fsync = never`; what it gains is only
    /// that UIDs handed out just before a crash keep their files.)
    static func addRecords(
        _ records: [UIDList.Record], to list: UIDList, existed: Bool, lock: HeldDotLock, folderPath: String, fsync: Bool
    ) throws(MailStoreError) {
        let path = folderPath + "/dovecot-uidlist"
        if existed && list.canAppend {
            guard lock.isStillOurs else { throw .lockLost(path: lock.path, operation: "append to uidlist") }
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw .io(operation: "open for append", path: path, errno: errno) }
            defer { _ = close(fd) }
            try POSIX.writeAll(fd, Array(records.map(UIDList.line(for:)).joined().utf8), path: path)
        } else {
            var updated = list
            updated.records.append(contentsOf: records)
            try lock.replaceTarget(with: updated.serialized(), fsync: fsync, operation: "rewrite uidlist")
            if fsync { try POSIX.fsyncDirectory(folderPath) }
        }
    }

    /// A mailbox GUID: 128 random bits as 32 hex digits.
    static func newGUID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }.joined()
    }
}

/// The `dovecot-uidlist` header and last record as this store last wrote them, per folder, with the file's identity
/// then; lets a commit skip reading and parsing the whole (ever growing) file while nobody else changed it.
///
/// Use only with the file's dotlock held. Every writer changes the identity: an append changes the size and
/// modification time, a rewrite (Dovecot's or ours) renames a new inode over the file. A changed or missing file
/// is read and parsed in full, as without the cache.
final class UIDListCache: Sendable {
    /// Enough of a file's status to notice any change made through the dotlock protocol.
    struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = Int(info.st_mtim.tv_sec)
            nanoseconds = Int(info.st_mtim.tv_nsec)
        }
    }

    /// Folders remembered at most; beyond that the cache starts over.
    static let capacity = 4096
    private let entries = NIOLockedValueBox([String: (identity: Identity, list: UIDList)]())

    /// The list remembered for `path` when the file is still exactly as last written here.
    func lookup(_ path: String) throws(MailStoreError) -> UIDList? {
        guard let entry = entries.withLockedValue({ $0[path] }) else { return nil }
        guard let info = try POSIX.status(path), Identity(info) == entry.identity else {
            forget(path)
            return nil
        }
        return entry.list
    }

    /// Remembers `list` (just written to `path`) with the file's current identity; only header and last record
    /// are kept, which is all an append needs (`nextUID`, `uidValidity`, `canAppend`).
    func remember(_ path: String, _ list: UIDList) {
        guard list.canAppend, let info = try? POSIX.status(path) else {
            forget(path)
            return
        }
        var kept = list
        kept.records = list.records.last.map { [$0] } ?? []
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity && entries[path] == nil { entries.removeAll(keepingCapacity: true) }
            entries[path] = (Identity(info), kept)
        }
    }

    func forget(_ path: String) {
        _ = entries.withLockedValue { $0.removeValue(forKey: path) }
    }
}
