#if canImport(Glibc)
import Glibc
#endif

extension Mailbox {
    /// The bytes of a listed message as stored. The file may have moved since it was listed (to `cur/`, or
    /// renamed with other flags): it is found again by its base name. Nil when it is gone (expunged).
    public func contents(of message: StoredMessage, folder: String = "INBOX") async throws(MailStoreError) -> [UInt8]? {
        let folderPath = try maildir.folderPath(folder)
        return try await store.blocking("read message", message.path) { () throws(MailStoreError) in
            if let bytes = try POSIX.readFile(message.path) { return bytes }
            guard let path = try Self.currentPath(of: message, in: folderPath) else { return nil }
            return try POSIX.readFile(path)
        }
    }

    /// Removes messages from `folder` (their files; `dovecot-uidlist` drops the records on its next rewrite,
    /// as Dovecot's sync does) and takes them off `maildirsize`. Returns how many were still there.
    public func remove(_ messages: [StoredMessage], folder: String = "INBOX") async throws(MailStoreError) -> Int {
        guard !messages.isEmpty else { return 0 }
        let folderPath = try maildir.folderPath(folder)
        let maildir = self.maildir, fsync = store.configuration.fsync
        return try await store.blocking("remove messages", folderPath) { () throws(MailStoreError) in
            var removed = 0, bytes: Int64 = 0
            for message in messages {
                guard let path = try POSIX.status(message.path) != nil ? message.path : Self.currentPath(of: message, in: folderPath)
                else { continue }
                if unlink(path) != 0 {
                    if errno == ENOENT { continue }
                    throw .io(operation: "unlink", path: path, errno: errno)
                }
                removed += 1
                bytes += Int64(message.size)
            }
            if removed > 0 {
                if fsync {
                    try POSIX.fsyncDirectory(folderPath + "/cur")
                    try POSIX.fsyncDirectory(folderPath + "/new")
                }
                try maildir.appendMaildirSize(bytes: -bytes, messages: -Int64(removed))
            }
            return removed
        }
    }

    /// Where a message's file is now: `cur/` or `new/` entry with its base name.
    static func currentPath(of message: StoredMessage, in folderPath: String) throws(MailStoreError) -> String? {
        let base = MaildirName(parsing: String(message.path.split(separator: "/").last ?? "")).base
        for directory in ["cur", "new"] {
            for entry in try POSIX.listDirectory(folderPath + "/" + directory) ?? []
            where entry == base || entry.hasPrefix(base + ":") {
                return folderPath + "/" + directory + "/" + entry
            }
        }
        return nil
    }
}
