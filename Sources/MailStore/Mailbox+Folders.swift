#if canImport(Glibc)
import Glibc
#endif

/// A folder of a mailbox as a folder list shows it.
public struct MailFolder: Hashable, Sendable {
    /// `INBOX`, or the hierarchy with `/` between levels (`Archive/2026`), decoded from the directory name.
    public var name: String
    /// Whether the folder holds messages (false for a level that only exists because of its children).
    public var selectable: Bool
    public var hasChildren: Bool

    public init(name: String, selectable: Bool, hasChildren: Bool) {
        self.name = name
        self.selectable = selectable
        self.hasChildren = hasChildren
    }
}

extension Mailbox {
    /// The folders that exist, INBOX first, then by name; a missing parent level of `A/B` appears as an
    /// unselectable `A` (Maildir++ keeps every level as its own directory).
    public func folders() async throws(MailStoreError) -> [MailFolder] {
        let root = path
        return try await store.blocking("list folders", root) { () throws(MailStoreError) -> [MailFolder] in
            var names = Set<String>()
            for entry in try POSIX.listDirectory(root) ?? [] where entry.hasPrefix(".") && entry != "." && entry != ".." {
                guard try POSIX.status(root + "/" + entry + "/cur") != nil, let name = FolderName.folderName(directoryName: entry)
                else { continue }
                names.insert(name)
            }
            var all = names
            for name in names {
                var parts = name.split(separator: "/").dropLast()
                while !parts.isEmpty {
                    all.insert(parts.joined(separator: "/"))
                    parts = parts.dropLast()
                }
            }
            let sorted = all.sorted()
            let folders = sorted.map { name in
                MailFolder(name: name, selectable: names.contains(name), hasChildren: all.contains { $0.hasPrefix(name + "/") })
            }
            return [MailFolder(name: "INBOX", selectable: true, hasChildren: false)] + folders
        }
    }

    /// Creates `folder` (and the mailbox root if needed); fails with `folderExists` when it is there.
    public func createFolder(_ folder: String) async throws(MailStoreError) {
        guard !FolderName.isInbox(folder) else { throw .folderExists(name: folder, path: path) }
        let maildir = self.maildir, config = store.configuration, posix = store.posix
        let folderPath = try maildir.folderPath(folder)
        try await store.blocking("create folder", folderPath) { () throws(MailStoreError) in
            try maildir.ensureRoot(standardFolders: config.standardFolders, posix: posix, fsync: config.fsync)
            if try POSIX.status(folderPath + "/cur") != nil { throw .folderExists(name: folder, path: folderPath) }
            try maildir.ensureFolder(at: folderPath, posix: posix, fsync: config.fsync)
        }
    }

    /// Deletes `folder` and its messages (its subfolders stay); INBOX cannot be deleted. The directory is
    /// first renamed out of sight, so other sessions never see it half removed.
    public func deleteFolder(_ folder: String) async throws(MailStoreError) {
        guard !FolderName.isInbox(folder) else { throw .invalidFolder(name: folder, reason: "INBOX cannot be deleted") }
        let root = path, folderPath = try maildir.folderPath(folder), fsync = store.configuration.fsync
        try await store.blocking("delete folder", folderPath) { () throws(MailStoreError) in
            guard try POSIX.status(folderPath + "/cur") != nil else { throw .noSuchFolder(name: folder, path: folderPath) }
            let doomed = root + "/tmp/.shoal-deleted.\(getpid()).\(DeliveryCounter.next())"
            try POSIX.rename(folderPath, to: doomed)
            if fsync { try POSIX.fsyncDirectory(root) }
            try POSIX.removeTree(doomed)
            // maildirsize no longer matches the tree: remove it so the next reader recounts.
            _ = unlink(root + "/maildirsize")
        }
    }

    /// Renames `folder` and its subfolders. Renaming INBOX moves its messages into a new folder and leaves
    /// INBOX empty (RFC 3501 §6.3.5); they get UIDs there when it is first listed.
    public func renameFolder(_ folder: String, to newName: String) async throws(MailStoreError) {
        let root = path, maildir = self.maildir, config = store.configuration, posix = store.posix
        let source = try maildir.folderPath(folder), target = try maildir.folderPath(newName)
        guard !FolderName.isInbox(newName) else { throw .folderExists(name: newName, path: target) }
        try await store.blocking("rename folder", source) { () throws(MailStoreError) in
            if try POSIX.status(target + "/cur") != nil { throw .folderExists(name: newName, path: target) }
            if FolderName.isInbox(folder) {
                try maildir.ensureFolder(at: target, posix: posix, fsync: config.fsync)
                for directory in ["new", "cur"] {
                    for entry in try POSIX.listDirectory(source + "/" + directory) ?? [] where !entry.hasPrefix(".") {
                        try POSIX.rename(source + "/" + directory + "/" + entry, to: target + "/cur/" + entry)
                    }
                }
                if config.fsync {
                    for directory in ["new", "cur"] { try POSIX.fsyncDirectory(source + "/" + directory) }
                    try POSIX.fsyncDirectory(target + "/cur")
                }
                return
            }
            let sourceName = String(source.dropFirst(root.count + 1)), targetName = String(target.dropFirst(root.count + 1))
            let children = (try POSIX.listDirectory(root) ?? []).filter { $0.hasPrefix(sourceName + ".") }
            // A level that exists only through its children (unselectable) is renamed by renaming them.
            let exists = try POSIX.status(source + "/cur") != nil
            guard exists || !children.isEmpty else { throw .noSuchFolder(name: folder, path: source) }
            if exists { try POSIX.rename(source, to: target) }
            for child in children {
                try POSIX.rename(root + "/" + child, to: root + "/" + targetName + child.dropFirst(sourceName.count))
            }
            if config.fsync { try POSIX.fsyncDirectory(root) }
        }
    }

    /// The subscribed folder names (Dovecot's `subscriptions`, version 2).
    public func subscriptions() async throws(MailStoreError) -> [String] {
        let file = path + "/subscriptions"
        return try await store.blocking("read subscriptions", file) { () throws(MailStoreError) -> [String] in
            Self.parseSubscriptions(try POSIX.readFile(file) ?? [])
        }
    }

    /// Adds `folder` to or removes it from the subscriptions (rewritten whole under its dotlock).
    public func setSubscribed(_ folder: String, _ subscribed: Bool) async throws(MailStoreError) {
        let file = path + "/subscriptions", fsync = store.configuration.fsync
        let name = FolderName.isInbox(folder) ? "INBOX" : folder
        _ = try maildir.folderPath(folder)  // validates the name
        try await store.withLocks([store.dotLock(file)], operation: "write subscriptions") { (held) throws(MailStoreError) in
            var names = Self.parseSubscriptions(try POSIX.readFile(file) ?? [])
            names.removeAll { $0 == name }
            if subscribed { names.append(name) }
            let lines = names.map { $0.split(separator: "/").map { FolderName.modifiedUTF7(String($0)) }.joined(separator: "\t") }
            try held[0].replaceTarget(with: Array(("V\t2\n\n" + lines.map { $0 + "\n" }.joined()).utf8), fsync: fsync,
                                      operation: "write subscriptions")
        }
    }

    static func parseSubscriptions(_ bytes: [UInt8]) -> [String] {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let body = lines.first == "V\t2" ? lines.dropFirst(2) : lines[...]
        return body.filter { !$0.isEmpty }.compactMap { line in
            let parts = line.split(separator: "\t").map { FolderName.decodeModifiedUTF7(String($0)) }
            guard !parts.contains(where: { $0 == nil }) else { return nil }
            return parts.compactMap { $0 }.joined(separator: "/")
        }
    }
}
