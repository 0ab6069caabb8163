#if canImport(Glibc)
import Glibc
#endif

extension Mailbox {
    /// Gives a message exactly these flags and keywords: its file moves to `cur/` with the new `:2,` info,
    /// as Dovecot and every Maildir reader expect. A file renamed meanwhile by another session is found
    /// again by its base name. Nil when the message is gone (expunged).
    public func setFlags(_ message: StoredMessage, folder: String = "INBOX", flags: Set<MailFlag>,
                         keywords: [String]) async throws(MailStoreError) -> StoredMessage? {
        for keyword in keywords { try KeywordTable.validate(keyword) }
        let folderPath = try maildir.folderPath(folder)
        let indices = try await KeywordTable.indices(for: keywords, folderPath: folderPath, store: store)
        let info = MaildirName.info(flags: flags, keywordIndices: indices)
        let base = MaildirName(parsing: Self.entryName(message.path)).base
        let fsync = store.configuration.fsync, listings = store.listings
        return try await store.blocking("change flags", message.path) { () throws(MailStoreError) -> StoredMessage? in
            let target = folderPath + "/cur/" + MaildirName(base: base, info: info).fullName
            // Stamps either side of the rename let the kept listing follow it instead of being scanned again.
            let before = try FolderListingCache.stamp(folderPath: folderPath)
            // A concurrent rename can move the file between finding and renaming it: look again.
            for _ in 0..<5 {
                guard let current = try Self.currentPath(of: message, in: folderPath) else { return nil }
                if current == target { break }
                if rename(current, target) == 0 {
                    if fsync { try POSIX.fsyncDirectory(folderPath + "/cur") }
                    break
                }
                guard errno == ENOENT else { throw .io(operation: "rename with new flags", path: current, errno: errno) }
            }
            var updated = message
            updated.path = target
            updated.filename = MaildirName(base: base, info: info).fullName
            updated.flags = flags
            updated.keywords = keywords
            updated.isNew = false
            // With keywords, a scan would name them as `dovecot-keywords` spells them: leave that to a scan.
            if keywords.isEmpty {
                listings.replace(updated, folderPath: folderPath, before: before,
                                 after: try FolderListingCache.stamp(folderPath: folderPath))
            }
            return updated
        }
    }

    /// When the message arrived: the file's modification time (Dovecot's INTERNALDATE for Maildir), in
    /// seconds since 1970; nil when it is gone.
    public func receivedDate(of message: StoredMessage, folder: String = "INBOX") async throws(MailStoreError) -> Int64? {
        try await receivedDates(of: [message], folder: folder).first ?? nil
    }

    /// The arrival times of several messages, in one piece of thread-pool work (nil for those gone).
    public func receivedDates(of messages: [StoredMessage], folder: String = "INBOX") async throws(MailStoreError) -> [Int64?] {
        let folderPath = try maildir.folderPath(folder)
        return try await store.blocking("stat messages", folderPath) { () throws(MailStoreError) -> [Int64?] in
            try messages.map { (message) throws(MailStoreError) -> Int64? in
                if let info = try POSIX.status(message.path) { return Int64(info.st_mtim.tv_sec) }
                guard let path = try Self.currentPath(of: message, in: folderPath), let info = try POSIX.status(path) else { return nil }
                return Int64(info.st_mtim.tv_sec)
            }
        }
    }

    static func entryName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? "")
    }
}

extension Mailbox {
    /// Moves messages listed in `new/` to `cur/` (with an empty `:2,` info), as a read-write IMAP session does
    /// when it first sees them: the rename is the claim on their `\Recent` flag (RFC 3501 §2.3.2), so exactly one
    /// session gets it, on any node sharing the store, and later sessions see the messages as not recent.
    /// Returns each message as it is now with `isNew` true for the ones this call moved (false for ones another
    /// session moved first), or nil when it is gone.
    public func claimNew(_ messages: [StoredMessage], folder: String = "INBOX") async throws(MailStoreError) -> [StoredMessage?] {
        let folderPath = try maildir.folderPath(folder)
        let fsync = store.configuration.fsync
        return try await store.blocking("claim new messages", folderPath) { () throws(MailStoreError) -> [StoredMessage?] in
            var moved = false
            let result = try messages.map { (message) throws(MailStoreError) -> StoredMessage? in
                let name = MaildirName(parsing: Self.entryName(message.path))
                let target = MaildirName(base: name.base, info: name.info ?? "")
                let targetPath = folderPath + "/cur/" + target.fullName
                var updated = message
                if rename(message.path, targetPath) == 0 {
                    moved = true
                    updated.path = targetPath
                    updated.filename = target.fullName
                    updated.isNew = true
                    return updated
                }
                guard errno == ENOENT else { throw .io(operation: "rename into cur", path: message.path, errno: errno) }
                guard let current = try Self.currentPath(of: message, in: folderPath) else { return nil }
                updated.path = current
                updated.filename = Self.entryName(current)
                updated.isNew = false
                return updated
            }
            if moved && fsync { try POSIX.fsyncDirectory(folderPath + "/cur") }
            return result
        }
    }
}

extension Mailbox {
    /// The file in a folder holding the first UID no IMAP session has claimed as `\Recent` yet.
    static let recentFloorFile = "shoal-recent"

    /// Claims `\Recent` for the messages a read-write IMAP session sees that arrived without passing through
    /// `new/` (COPY, MOVE and APPEND with flags land in `cur/`): those at or above the folder's recent floor,
    /// which then moves past the highest UID listed. Under the floor's dotlock, so one session on any node gets
    /// each message; `excluding` are UIDs another session claimed already (its `new/` to `cur/` rename came
    /// first). Without a floor yet, nothing is claimed and the floor starts at the listing's next UID. The floor
    /// is read without the lock first: nothing at or above it costs one small read.
    public func claimRecent(_ listing: FolderListing, excluding: Set<UInt32> = [], folder: String = "INBOX")
        async throws(MailStoreError) -> Set<UInt32>
    {
        let path = try maildir.folderPath(folder) + "/" + Self.recentFloorFile
        let highest = listing.messages.last?.uid ?? 0
        let floor = try await store.blocking("read recent floor", path) { () throws(MailStoreError) -> UInt32? in
            try Self.readRecentFloor(path)
        }
        if let floor, highest < floor { return [] }
        let fsync = store.configuration.fsync
        return try await store.withLocks([store.dotLock(path)], operation: "claim recent") { (held) throws(MailStoreError) -> Set<UInt32> in
            let current = try Self.readRecentFloor(path)
            let start = current ?? listing.nextUID
            let claimed = Set(listing.messages.lazy.map(\.uid).filter { $0 >= start && !excluding.contains($0) })
            let next = max(start, highest &+ 1)
            if next != current { try held[0].replaceTarget(with: Array("\(next)\n".utf8), fsync: fsync, operation: "claim recent") }
            return claimed
        }
    }

    static func readRecentFloor(_ path: String) throws(MailStoreError) -> UInt32? {
        guard let bytes = try POSIX.readFile(path) else { return nil }
        return UInt32(String(decoding: bytes.filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }
}
