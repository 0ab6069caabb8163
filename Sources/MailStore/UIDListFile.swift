#if canImport(Glibc)
import Glibc
#endif

/// Writing `dovecot-uidlist` while its dotlock is held, in Dovecot's two ways: append, or replace via the lock file.
extension UIDList {
    /// Appends record lines while the file allows it, else writes the whole list into the lock and renames it over.
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
            if fsync { try POSIX.fsync(fd, path: path) }
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
