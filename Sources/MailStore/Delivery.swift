#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One delivery: quota pre-check and folders, keyword letters, the file in `tmp/` flushed, then under the
/// folder's `dovecot-uidlist.lock` (and `maildirsize.lock` with a quota) the final check, rename, UID record.
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
        let config = store.configuration, posix = store.posix, size = UInt64(message.count)
        try await store.blocking("prepare delivery", folderPath) { [self] () throws(MailStoreError) in
            if hasQuota {
                let usage = try maildir.usage(
                    limitBytes: owner.quotaBytes, limitMessages: owner.quotaMessages, checking: size)
                guard usage.allows(size: size) else {
                    throw .quotaExceeded(path: maildir.root, usage: usage, messageSize: size)
                }
            }
            try maildir.ensureRoot(standardFolders: config.standardFolders, posix: posix, fsync: config.fsync)
            try maildir.ensureFolder(at: folderPath, posix: posix, fsync: config.fsync)
        }
        let indices = keywords.isEmpty ? [] : try await keywordIndices()
        let info = flags.isEmpty && indices.isEmpty ? nil : MaildirName.info(flags: flags, keywordIndices: indices)
        let staged = try await store.blocking("write message", folderPath + "/tmp") { [self] () throws(MailStoreError) in
            try stage()
        }
        var locks = [store.dotLock(folderPath + "/dovecot-uidlist")]
        if hasQuota { locks.insert(store.dotLock(maildir.maildirSizePath), at: 0) }
        do {
            let delivered = try await store.withLocks(locks, operation: "deliver") { [self] (held) throws(MailStoreError) in
                try commit(staged: staged, info: info, uidlistLock: held[held.count - 1])
            }
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

    /// A message written and flushed in `tmp/` under its final base name.
    struct Staged: Sendable {
        var path: String
        var base: String
    }

    private func stage() throws(MailStoreError) -> Staged {
        let config = store.configuration, tmp = folderPath + "/tmp"
        let virtualSize = MaildirName.virtualSize(of: message)
        while true {
            let base = MaildirName.generate(
                time: POSIX.now(), pid: getpid(), counter: DeliveryCounter.shared.next(),
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
                if config.fsync { try POSIX.fsyncDirectory(tmp) }
            } catch {
                _ = unlink(path)
                throw error
            }
            return Staged(path: path, base: base)
        }
    }

    /// Runs with the locks held: final quota check, UID, rename into `new/` or `cur/`, flush, record, `maildirsize`.
    private func commit(staged: Staged, info: String?, uidlistLock: HeldDotLock) throws(MailStoreError) -> DeliveredMessage {
        let config = store.configuration, size = UInt64(message.count)
        if hasQuota { try checkQuota(size: size) }
        let uidlistPath = folderPath + "/dovecot-uidlist"
        let existing = try POSIX.readFile(uidlistPath)
        var list = try existing.map { (bytes) throws(MailStoreError) in try UIDList.parse(bytes, path: uidlistPath) }
            ?? UIDList(uidValidity: UInt32(truncatingIfNeeded: POSIX.now().seconds), guid: UIDList.newGUID())
        if list.guid.isEmpty { list.guid = UIDList.newGUID() }
        let uid = list.nextUID
        let name = MaildirName(base: staged.base, info: info)
        let directory = folderPath + (info == nil ? "/new" : "/cur")
        let destination = directory + "/" + name.fullName
        try POSIX.rename(staged.path, to: destination)
        do throws(MailStoreError) {
            if config.fsync { try POSIX.fsyncDirectory(directory) }
            let record = UIDList.Record(uid: uid, extensions: [], filename: staged.base)
            try UIDList.addRecords(
                [record], to: list, existed: existing != nil, lock: uidlistLock, folderPath: folderPath,
                fsync: config.fsync)
        } catch {
            // No UID was recorded: take the message back so a retried delivery makes no duplicate.
            _ = unlink(destination)
            throw error
        }
        do throws(MailStoreError) {
            try maildir.appendMaildirSize(bytes: Int64(size), messages: 1)
        } catch {
            store.logger.warning("maildirsize not updated", metadata: ["error": "\(error)"])
        }
        return DeliveredMessage(
            folder: folder, uid: uid, uidValidity: list.uidValidity, filename: name.fullName, path: destination,
            size: size, virtualSize: MaildirName.virtualSize(of: message))
    }

    private func checkQuota(size: UInt64) throws(MailStoreError) {
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
        var usage = usage(of: current)
        if !usage.allows(size: size) && !recalculated {
            current = try maildir.recalculateMaildirSize(definition: quotaDefinition, posix: store.posix, fsync: config.fsync)
            usage = self.usage(of: current)
        }
        guard usage.allows(size: size) else {
            throw .quotaExceeded(path: maildir.root, usage: usage, messageSize: size)
        }
    }

    private func usage(of size: MaildirSize) -> QuotaUsage {
        QuotaUsage(bytes: UInt64(size.bytes), messages: UInt64(size.messages),
                   limitBytes: owner.quotaBytes, limitMessages: owner.quotaMessages)
    }

    /// Letters for the keywords, adding new ones to `dovecot-keywords` under its dotlock.
    private func keywordIndices() async throws(MailStoreError) -> [Int] {
        let path = folderPath + "/dovecot-keywords", keywords = self.keywords, fsync = store.configuration.fsync
        let folderPath = self.folderPath
        let known = try await store.blocking("read keywords", path) { () throws(MailStoreError) in
            KeywordTable.parse(try POSIX.readFile(path) ?? [])
        }
        let found = keywords.compactMap(known.index(of:))
        if found.count == keywords.count { return found }
        return try await store.withLocks([store.dotLock(path)], operation: "add keywords") { (held) throws(MailStoreError) in
            let original = KeywordTable.parse(try POSIX.readFile(path) ?? [])
            var table = original
            var indices: [Int] = []
            for keyword in keywords {
                guard let index = table.add(keyword) else { throw .tooManyKeywords(path: path, keyword: keyword) }
                indices.append(index)
            }
            if table != original {
                try held[0].replaceTarget(with: table.serialized(), fsync: fsync, operation: "write keywords")
                if fsync { try POSIX.fsyncDirectory(folderPath) }
            }
            return indices
        }
    }
}
