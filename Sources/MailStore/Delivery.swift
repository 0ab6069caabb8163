#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One delivery: quota pre-check and folders, keyword letters, the file written and flushed in `tmp/` (in
/// parallel with any other delivery), then the commit: queued on the store's in-process queue for the folder
/// (`FolderCommitQueues`) and done, together with every other delivery queued meanwhile, under the folder's
/// `dovecot-uidlist.lock` (and `maildirsize.lock` with a quota): final quota check, rename, flush, UID record.
///
/// What is flushed, and why that is enough (a crash never shows a partial message and never loses an
/// acknowledged one):
/// - The message file is fsynced in `tmp/` before it is renamed: whatever name it later has, its content is whole.
/// - `tmp/` itself is not fsynced. Its entry needs no durability: a crash before the rename can only leave a stray
///   file in `tmp/`, which Maildir readers never look at and cleanup may delete; the message was not acknowledged.
/// - After the rename into `new/` (or `cur/`), that directory is fsynced, once for the whole group: this makes the
///   name durable, and only then is any delivery of the group acknowledged.
/// - The `dovecot-uidlist` append is not fsynced (see `UIDList.addRecords`): the message is already durable in
///   `new/`; a record lost in a crash is recreated by the next sync, which gives every file in `new/`/`cur/`
///   without a record a UID (as `Listing` and Dovecot's maildir sync do).
struct Delivery: Sendable {
    let store: MailStore
    let maildir: Maildir
    let owner: MailboxOwner
    let folder: String
    let folderPath: String
    let message: [UInt8]
    let flags: Set<MailFlag>
    let keywords: [String]

    init(mailbox: Mailbox, message: [UInt8], folder: String, flags: Set<MailFlag>, keywords: [String]) throws(MailStoreError) {
        store = mailbox.store
        maildir = mailbox.maildir
        owner = mailbox.owner
        self.folder = folder
        folderPath = try mailbox.maildir.folderPath(folder)
        self.message = message
        self.flags = flags
        var unique: [String] = []
        for keyword in keywords {
            try KeywordTable.validate(keyword)
            if !unique.contains(where: { $0.lowercased() == keyword.lowercased() }) { unique.append(keyword) }
        }
        self.keywords = unique
    }

    var hasQuota: Bool { owner.quotaBytes != nil || owner.quotaMessages != nil }
    var quotaDefinition: String { MaildirSize.definition(limitBytes: owner.quotaBytes, limitMessages: owner.quotaMessages) }

    func run() async throws(MailStoreError) -> DeliveredMessage {
        let queues = store.commitQueues, uidlistPath = folderPath + "/dovecot-uidlist"
        // Announced before any work, so that a committer holding the folder's lock keeps it for this delivery.
        queues.expectDelivery(uidlistPath: uidlistPath)
        let staged: Staged, info: String?
        do throws(MailStoreError) {
            if keywords.isEmpty {
                // The common case in one trip to the thread pool.
                info = flags.isEmpty ? nil : MaildirName.info(flags: flags, keywordIndices: [])
                staged = try await store.blocking("write message", folderPath + "/tmp") { [self] () throws(MailStoreError) in
                    try prepare()
                    return try stage()
                }
            } else {
                try await store.blocking("prepare delivery", folderPath) { [self] () throws(MailStoreError) in
                    try prepare()
                }
                info = MaildirName.info(flags: flags, keywordIndices: try await keywordIndices())
                staged = try await store.blocking("write message", folderPath + "/tmp") { [self] () throws(MailStoreError) in
                    try stage()
                }
            }
        } catch {
            queues.abandonDelivery(uidlistPath: uidlistPath)
            throw error
        }
        do {
            let outcome = try await queues.submit(
                .delivery(Pending(delivery: self, staged: staged, info: info)), expected: true,
                uidlistPath: uidlistPath, store: store
            ).get()
            guard case .delivered(let delivered) = outcome else { fatalError("a delivery job yields a delivery") }
            store.logger.debug("delivered", metadata: ["path": "\(delivered.path)", "uid": "\(delivered.uid)"])
            return delivered
        } catch {
            // Not cancellable: the staged file must not stay behind in tmp/.
            let store = self.store
            await Task.detached {
                _ = try? await store.blocking("remove staged message", staged.path) { () throws(MailStoreError) in
                    try POSIX.unlink(staged.path)
                }
            }.value
            throw error
        }
    }

    /// Quota pre-check (nothing is written for a message that cannot fit), then the Maildir and the folder.
    private func prepare() throws(MailStoreError) {
        let config = store.configuration, posix = store.posix, size = UInt64(message.count)
        if hasQuota {
            let usage = try maildir.usage(limitBytes: owner.quotaBytes, limitMessages: owner.quotaMessages, checking: size)
            guard usage.allows(size: size) else {
                throw .quotaExceeded(path: maildir.root, usage: usage, messageSize: size)
            }
        }
        try maildir.ensureRoot(standardFolders: config.standardFolders, posix: posix, fsync: config.fsync)
        try maildir.ensureFolder(at: folderPath, posix: posix, fsync: config.fsync)
    }

    /// A message written and flushed in `tmp/` under its final base name.
    struct Staged: Sendable {
        var path: String
        var base: String
        var virtualSize: UInt64
    }

    /// A staged delivery waiting in the folder's commit queue.
    struct Pending: Sendable {
        var delivery: Delivery
        var staged: Staged
        /// The `:2,` info (flags and keyword letters); nil for a plain message in `new/`.
        var info: String?
    }

    /// Writes the message into `tmp/` and flushes the file (but not `tmp/`: see the type's comment).
    private func stage() throws(MailStoreError) -> Staged {
        let config = store.configuration, tmp = folderPath + "/tmp"
        let virtualSize = MaildirName.virtualSize(of: message)
        while true {
            let base = MaildirName.generate(
                time: POSIX.now(), pid: getpid(), counter: DeliveryCounter.next(),
                hostname: config.hostname, size: UInt64(message.count), virtualSize: virtualSize)
            let path = tmp + "/" + base
            let fd: Int32
            do throws(MailStoreError) {
                fd = try store.posix.open(path, O_WRONLY | O_CREAT | O_EXCL)
            } catch {
                if case .io(_, _, EEXIST) = error { continue }  // name taken: the counter moves on
                throw error
            }
            do throws(MailStoreError) {
                try POSIX.writeAll(fd, message, path: path)
                if config.fsync { try POSIX.fsync(fd, path: path) }
                try POSIX.close(fd, path: path)
            } catch {
                _ = unlink(path)
                throw error
            }
            return Staged(path: path, base: base, virtualSize: virtualSize)
        }
    }

    /// Commits a group of staged deliveries to the folder at `uidlistPath`, with its dotlock (and the
    /// `maildirsize.lock` of every Maildir among them with a quota) held; one result per delivery, in order.
    ///
    /// In queue order, each delivery with a quota is checked against `maildirsize` plus the messages of the group
    /// accepted before it, so the group stays within the quota exactly as the same deliveries one by one would;
    /// one that does not fit fails alone (its staged file is then removed by its `run`). (All checks come before
    /// the renames, so a recount of the tree never sees the group's own messages; one whose rename then fails
    /// still counted for the checks after it, erring on the safe side.) The accepted ones get
    /// consecutive UIDs and are renamed into `new/` or `cur/`; each of these directories is flushed once; then one
    /// write appends all their uidlist records and one line per Maildir goes to `maildirsize`.
    /// If the flush or the uidlist write fails, every renamed message of the group is unlinked again (none got a
    /// UID, so a retried delivery makes no duplicate) and all of them fail.
    static func commitBatch(
        _ batch: [Pending], uidlistPath: String, uidlistLock: HeldDotLock, store: MailStore
    ) -> [Result<DeliveredMessage, MailStoreError>] {
        var results = [Result<DeliveredMessage, MailStoreError>?](repeating: nil, count: batch.count)
        let config = store.configuration
        let folderPath = String(uidlistPath.dropLast("/dovecot-uidlist".count))
        let cache = store.commitQueues.uidLists
        let existed: Bool
        var list: UIDList
        /// Messages on disk the list does not know (a crash between rename and record): numbered first.
        var orphans: [UIDList.Record] = []
        do throws(MailStoreError) {
            if let cached = try cache.lookup(uidlistPath) {
                (existed, list) = (true, cached)
            } else {
                let existing = try POSIX.readFile(uidlistPath)
                existed = existing != nil
                if let existing {
                    list = try UIDList.parse(existing, path: uidlistPath)
                } else {
                    list = UIDList(uidValidity: try UIDValidityAllocator.next(forFolderAt: folderPath, posix: store.posix),
                                   guid: UIDList.newGUID())
                }
                // Read from disk (first commit here, or the file changed): repair as Dovecot's sync would.
                orphans = try unlistedRecords(folderPath: folderPath, list: list)
            }
        } catch {
            return batch.map { _ in .failure(error) }
        }
        if list.guid.isEmpty { list.guid = UIDList.newGUID() }

        // Quota: each against the file plus the group's messages accepted before it, per Maildir.
        var accepted: [Int] = []
        var groupUsage: [String: (bytes: UInt64, messages: UInt64)] = [:]
        for (index, pending) in batch.enumerated() {
            let delivery = pending.delivery, size = UInt64(delivery.message.count), root = delivery.maildir.root
            let before = groupUsage[root] ?? (0, 0)
            if delivery.hasQuota {
                do throws(MailStoreError) {
                    try delivery.checkQuota(size: size, plus: before)
                } catch {
                    results[index] = .failure(error)
                    continue
                }
            }
            groupUsage[root] = (before.bytes + size, before.messages + 1)
            accepted.append(index)
        }

        // Rename each into place with its UID; a failed rename fails that delivery alone.
        struct Renamed {
            var index: Int
            var uid: UInt32
            var name: MaildirName
            var directory: String
            var destination: String
        }
        var renamed: [Renamed] = []
        var uid = list.nextUID + UInt32(orphans.count)
        for index in accepted {
            let pending = batch[index]
            let name = MaildirName(base: pending.staged.base, info: pending.info)
            let directory = folderPath + (pending.info == nil ? "/new" : "/cur")
            let destination = directory + "/" + name.fullName
            do throws(MailStoreError) {
                try POSIX.rename(pending.staged.path, to: destination)
            } catch {
                results[index] = .failure(error)
                continue
            }
            renamed.append(Renamed(index: index, uid: uid, name: name, directory: directory, destination: destination))
            uid += 1
        }

        if !renamed.isEmpty || !orphans.isEmpty {
            do throws(MailStoreError) {
                if config.fsync {
                    var flushed = Set<String>()
                    for message in renamed where flushed.insert(message.directory).inserted {
                        try POSIX.fsyncDirectory(message.directory)
                    }
                }
                if !orphans.isEmpty {
                    store.logger.warning("assigned UIDs to messages a crash left without one",
                                         metadata: ["folder": "\(folderPath)", "count": "\(orphans.count)"])
                }
                let records = orphans + renamed.map { UIDList.Record(uid: $0.uid, extensions: [], filename: $0.name.base) }
                try UIDList.addRecords(
                    records, to: list, existed: existed, lock: uidlistLock, folderPath: folderPath,
                    fsync: config.fsync)
                list.records.append(contentsOf: records)
                cache.remember(uidlistPath, list)
            } catch {
                cache.forget(uidlistPath)
                // No UID was recorded: take the messages back so retried deliveries make no duplicates.
                for message in renamed {
                    _ = unlink(message.destination)
                    results[message.index] = .failure(error)
                }
                return results.map { $0! }
            }
        }

        var added: [String: (bytes: Int64, messages: Int64, maildir: Maildir)] = [:]
        for message in renamed {
            let pending = batch[message.index], maildir = pending.delivery.maildir
            let size = UInt64(pending.delivery.message.count)
            let sum = added[maildir.root] ?? (0, 0, maildir)
            added[maildir.root] = (sum.bytes + Int64(size), sum.messages + 1, maildir)
            results[message.index] = .success(DeliveredMessage(
                folder: pending.delivery.folder, uid: message.uid, uidValidity: list.uidValidity,
                filename: message.name.fullName, path: message.destination, size: size,
                virtualSize: pending.staged.virtualSize))
        }
        for (_, sum) in added.sorted(by: { $0.key < $1.key }) {
            do throws(MailStoreError) {
                try sum.maildir.appendMaildirSize(bytes: sum.bytes, messages: sum.messages)
            } catch {
                store.logger.warning("maildirsize not updated", metadata: ["error": "\(error)"])
            }
        }
        return results.map { $0! }
    }

    /// Records (numbered from the list's next UID, in Dovecot's delivery order) for the files in `new/` and
    /// `cur/` that `list` does not know. Called with the uidlist lock held: every writer renames into place only
    /// under that lock, so such a file was left by a crash between its rename and its record.
    static func unlistedRecords(folderPath: String, list: UIDList) throws(MailStoreError) -> [UIDList.Record] {
        let known = Set(list.records.map(\.filename))
        var unlisted = Set<String>()
        for directory in ["new", "cur"] {
            for entry in try POSIX.listDirectory(folderPath + "/" + directory) ?? [] where !entry.hasPrefix(".") {
                let base = MaildirName(parsing: entry).base
                if !known.contains(base) { unlisted.insert(base) }
            }
        }
        var next = list.nextUID
        return unlisted.sorted(by: MaildirName.deliveryOrder).map { base in
            defer { next += 1 }
            return UIDList.Record(uid: next, extensions: [], filename: base)
        }
    }

    /// Final quota check with the locks held: `maildirsize` (recalculated from the tree when missing, too large,
    /// or claiming over quota while older than the recheck age) plus `plus`, the group's messages ahead of this one.
    private func checkQuota(size: UInt64, plus group: (bytes: UInt64, messages: UInt64)) throws(MailStoreError) {
        let config = store.configuration
        var recalculated = false
        var current: MaildirSize
        if let (size, age) = try maildir.readMaildirSize(definition: quotaDefinition) {
            current = size
            recalculated = age < MaildirSize.overQuotaRecheckAfter  // recent enough to trust
        } else {
            current = try maildir.recalculateMaildirSize(definition: quotaDefinition, posix: store.posix, fsync: config.fsync)
            recalculated = true
        }
        var usage = usage(of: current, plus: group)
        if !usage.allows(size: size) && !recalculated {
            current = try maildir.recalculateMaildirSize(definition: quotaDefinition, posix: store.posix, fsync: config.fsync)
            usage = self.usage(of: current, plus: group)
        }
        guard usage.allows(size: size) else {
            throw .quotaExceeded(path: maildir.root, usage: usage, messageSize: size)
        }
    }

    private func usage(of size: MaildirSize, plus group: (bytes: UInt64, messages: UInt64)) -> QuotaUsage {
        QuotaUsage(bytes: UInt64(size.bytes) + group.bytes, messages: UInt64(size.messages) + group.messages,
                   limitBytes: owner.quotaBytes, limitMessages: owner.quotaMessages)
    }

    /// Letters for the keywords, adding new ones to `dovecot-keywords` under its dotlock.
    private func keywordIndices() async throws(MailStoreError) -> [Int] {
        try await KeywordTable.indices(for: keywords, folderPath: folderPath, store: store)
    }
}
