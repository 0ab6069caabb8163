#if canImport(Glibc)
import Glibc
#endif

extension Mailbox {
    /// The bytes of a listed message as stored. The file may have moved since it was listed (to `cur/`, or
    /// renamed with other flags): it is found again by its base name. Nil when it is gone (expunged).
    public func contents(of message: StoredMessage, folder: String = "INBOX") async throws(MailStoreError) -> [UInt8]? {
        try await contents(of: [message], folder: folder).first ?? nil
    }

    /// The bytes of several listed messages, read in one piece of thread-pool work (nil for those gone).
    public func contents(of messages: [StoredMessage], folder: String = "INBOX") async throws(MailStoreError) -> [[UInt8]?] {
        let folderPath = try maildir.folderPath(folder)
        return try await store.blocking("read messages", folderPath) { () throws(MailStoreError) -> [[UInt8]?] in
            var result: [[UInt8]?] = []
            result.reserveCapacity(messages.count)
            for message in messages {
                if let bytes = try POSIX.readFile(message.path) {
                    result.append(bytes)
                } else if let path = try Self.currentPath(of: message, in: folderPath) {
                    result.append(try POSIX.readFile(path))
                } else {
                    result.append(nil)
                }
            }
            return result
        }
    }

    /// Removes messages from `folder` (their files; `dovecot-uidlist` drops the records on its next rewrite,
    /// as Dovecot's sync does) and takes them off `maildirsize`. Returns the UIDs of those still there.
    @discardableResult
    public func remove(_ messages: [StoredMessage], folder: String = "INBOX") async throws(MailStoreError) -> [UInt32] {
        guard !messages.isEmpty else { return [] }
        let folderPath = try maildir.folderPath(folder)
        let maildir = self.maildir, fsync = store.configuration.fsync
        return try await store.blocking("remove messages", folderPath) { () throws(MailStoreError) -> [UInt32] in
            var removed: [UInt32] = [], bytes: Int64 = 0
            for message in messages {
                guard let path = try Self.currentPath(of: message, in: folderPath)
                else { continue }
                if unlink(path) != 0 {
                    if errno == ENOENT { continue }
                    throw .io(operation: "unlink", path: path, errno: errno)
                }
                removed.append(message.uid)
                bytes += Int64(message.size)
            }
            if !removed.isEmpty {
                if fsync {
                    try POSIX.fsyncDirectory(folderPath + "/cur")
                    try POSIX.fsyncDirectory(folderPath + "/new")
                }
                try maildir.appendMaildirSize(bytes: -bytes, messages: -Int64(removed.count))
            }
            return removed
        }
    }

    /// Stores a copy of each message in `target` with the same flags and keywords (IMAP COPY/MOVE, the
    /// Trash of a webmail). Returns (source UID, new UID) for each message still there, in order.
    public func copy(_ messages: [StoredMessage], from folder: String = "INBOX",
                     to target: String) async throws(MailStoreError) -> [(source: UInt32, copy: UInt32)] {
        var pairs: [(source: UInt32, copy: UInt32)] = []
        for message in messages {
            guard let bytes = try await contents(of: message, folder: folder) else { continue }
            let date = try await receivedDate(of: message, folder: folder)
            let stored = try await append(bytes, folder: target, flags: message.flags, keywords: message.keywords, receivedDate: date)
            pairs.append((message.uid, stored.uid))
        }
        return pairs
    }

    /// Delivers `message` into `folder` (which must exist) with flags and an optional arrival time
    /// (IMAP APPEND's date-time, kept as the file's modification time as Dovecot does).
    public func append(_ message: [UInt8], folder: String, flags: Set<MailFlag> = [], keywords: [String] = [],
                       receivedDate: Int64? = nil) async throws(MailStoreError) -> DeliveredMessage {
        let folderPath = try maildir.folderPath(folder)
        let exists = try await store.blocking("check folder", folderPath) { () throws(MailStoreError) -> Bool in
            if FolderName.isInbox(folder) { return true }
            return try POSIX.status(folderPath + "/cur") != nil
        }
        guard exists else { throw .noSuchFolder(name: folder, path: folderPath) }
        let delivered = try await deliver(message, folder: folder, flags: flags, keywords: keywords)
        if let receivedDate {
            let path = delivered.path
            try await store.blocking("set arrival time", path) { () throws(MailStoreError) in
                var times = [timespec(tv_sec: Int(receivedDate), tv_nsec: 0), timespec(tv_sec: Int(receivedDate), tv_nsec: 0)]
                guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw .io(operation: "utimensat", path: path, errno: errno) }
            }
        }
        return delivered
    }

    /// Where a message's file is now: where it was listed, else the `cur/` or `new/` entry with its base name
    /// (another session moved or renamed it meanwhile); nil when it is gone.
    static func currentPath(of message: StoredMessage, in folderPath: String) throws(MailStoreError) -> String? {
        if try POSIX.status(message.path) != nil { return message.path }
        let base = MaildirName(parsing: entryName(message.path)).base
        for directory in ["cur", "new"] {
            for entry in try POSIX.listDirectory(folderPath + "/" + directory) ?? []
            where entry == base || entry.hasPrefix(base + ":") {
                return folderPath + "/" + directory + "/" + entry
            }
        }
        return nil
    }
}
