/// Lists a folder: `dovecot-uidlist` joined with the files in `new/` and `cur/` (never `tmp/`); files without
/// a UID yet (a crash between rename and record, or another writer) get one under the lock, as Dovecot's sync does.
struct Listing: Sendable {
    let store: MailStore
    let folder: String
    let folderPath: String

    init(mailbox: Mailbox, folder: String) throws(MailStoreError) {
        store = mailbox.store
        self.folder = folder
        folderPath = try mailbox.maildir.folderPath(folder)
    }

    func run() async throws(MailStoreError) -> FolderListing {
        let uidlistPath = folderPath + "/dovecot-uidlist"
        let first = try await store.blocking("list folder", folderPath) { [self] () throws(MailStoreError) in
            try snapshot()
        }
        if first.unlisted.isEmpty && !first.needsUIDList { return first.listing }
        let fsync = store.configuration.fsync
        // Through the folder's commit queue, so it takes its turn with this store's deliveries instead of polling.
        let outcome = try await store.commitQueues.submit(.exclusive(operation: "assign UIDs") {
            [self] (held) throws(MailStoreError) in
            let current = try snapshot()
            guard !current.unlisted.isEmpty || current.needsUIDList else { return current.listing }
            let list: UIDList
            if let existing = current.list {
                list = existing
            } else {
                list = UIDList(uidValidity: try UIDValidityAllocator.next(forFolderAt: folderPath, posix: store.posix),
                               guid: UIDList.newGUID())
            }
            let records = try Delivery.unlistedRecords(folderPath: folderPath, list: list)
            try UIDList.addRecords(records, to: list, existed: current.list != nil, lock: held,
                                    folderPath: folderPath, fsync: fsync)
            if !records.isEmpty {
                store.logger.info("assigned UIDs to unlisted messages",
                                  metadata: ["folder": "\(folderPath)", "count": "\(records.count)"])
            }
            return try snapshot().listing
        }, uidlistPath: uidlistPath, store: store).get()
        guard case .listed(let listing) = outcome else { fatalError("an exclusive job yields a listing") }
        return listing
    }

    /// What one read of the folder found.
    struct Snapshot {
        var list: UIDList?
        var listing: FolderListing
        /// Base names on disk that the uidlist does not know.
        var unlisted: [String]
        /// The folder exists but has no `dovecot-uidlist` yet: its UIDVALIDITY is made (and kept) now, so
        /// that an IMAP client selecting an empty folder gets the one it will keep seeing.
        var needsUIDList: Bool
    }

    private func snapshot() throws(MailStoreError) -> Snapshot {
        let uidlistPath = folderPath + "/dovecot-uidlist"
        // Taken before anything is read, so a change while reading shows in the next stamp.
        let stamp = try FolderListingCache.stamp(folderPath: folderPath)
        guard stamp.cur != nil || FolderName.isInbox(folder) else {
            throw .noSuchFolder(name: folder, path: folderPath)
        }
        switch store.listings.lookup(folderPath: folderPath, stamp: stamp) {
        case .hit(let listing):
            return Snapshot(list: nil, listing: listing, unlisted: [], needsUIDList: false)
        case .check(let listing, let digest):
            // Changed in place by this process's own flag change: reused when the names on disk are its names.
            if try NameDigest.onDisk(folderPath: folderPath) == digest {
                store.listings.checked(folderPath: folderPath, stamp: stamp, now: Self.nanosecondsNow())
                return Snapshot(list: nil, listing: listing, unlisted: [], needsUIDList: false)
            }
        case .miss:
            break
        }
        let list = try POSIX.readFile(uidlistPath).map { (bytes) throws(MailStoreError) in
            try UIDList.parse(bytes, path: uidlistPath)
        }
        // new/ before cur/: a file moved between the two reads is then seen at least once; cur/ wins.
        var files: [String: (name: MaildirName, directory: String)] = [:]
        for directory in ["new", "cur"] {
            for entry in try POSIX.listDirectory(folderPath + "/" + directory) ?? [] where !entry.hasPrefix(".") {
                let name = MaildirName(parsing: entry)
                files[name.base] = (name, directory)
            }
        }
        let keywords = KeywordTable.parse(try POSIX.readFile(folderPath + "/dovecot-keywords") ?? [])
        var messages: [StoredMessage] = []
        for record in list?.records ?? [] {
            guard let (name, directory) = files.removeValue(forKey: record.filename) else { continue }
            let path = folderPath + "/" + directory + "/" + name.fullName
            var size = name.size
            if size == nil, let info = try POSIX.status(path) { size = UInt64(info.st_size) }
            guard let size else { continue }
            messages.append(StoredMessage(
                uid: record.uid, filename: name.fullName, path: path, size: size, virtualSize: name.virtualSize,
                flags: name.flags, keywords: name.keywordIndices.compactMap { keywords.names[$0] },
                isNew: directory == "new"))
        }
        let listing = FolderListing(
            uidValidity: list?.uidValidity ?? 0, nextUID: list?.nextUID ?? 1, messages: messages)
        let needsUIDList = list == nil && stamp.cur != nil
        if files.isEmpty && !needsUIDList {
            store.listings.keep(listing, folderPath: folderPath, stamp: stamp, now: Self.nanosecondsNow())
        }
        return Snapshot(list: list, listing: listing, unlisted: Array(files.keys), needsUIDList: needsUIDList)
    }

    static func nanosecondsNow() -> Int64 {
        let now = POSIX.now()
        return Int64(now.seconds) * 1_000_000_000 + Int64(now.microseconds) * 1000
    }
}
