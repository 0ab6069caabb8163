#if canImport(Glibc)
import Glibc
#endif

/// One user's Maildir++ tree: INBOX at the root (`cur/ new/ tmp/`), other folders as `.Name` directories
/// holding their own `cur/ new/ tmp/` and an empty `maildirfolder` file.
struct Maildir: Sendable {
    let root: String
    static let subdirectories = ["tmp", "new", "cur"]

    /// The directory of `folder`: the root for INBOX, `<root>/.Name` otherwise.
    func folderPath(_ folder: String) throws(MailStoreError) -> String {
        guard let name = try FolderName.directoryName(folder) else { return root }
        return root + "/" + name
    }

    /// Every folder directory that exists: the root first, then each `.Name`.
    func folderPaths() throws(MailStoreError) -> [String] {
        let names = try POSIX.listDirectory(root) ?? []
        return [root] + names.filter { $0.hasPrefix(".") }.sorted().map { root + "/" + $0 }
    }

    /// Creates the root with `cur/ new/ tmp/` when missing, and then the standard folders and `subscriptions`.
    func ensureRoot(standardFolders: [String], posix: POSIX, fsync: Bool) throws(MailStoreError) {
        var complete = true
        for name in Self.subdirectories where try POSIX.status(root + "/" + name) == nil { complete = false }
        if complete { return }
        let parent = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)])
        try posix.makeDirectories(root)
        for name in Self.subdirectories { try posix.makeDirectory(root + "/" + name) }
        for folder in standardFolders { try ensureFolder(at: try folderPath(folder), posix: posix, fsync: fsync) }
        try writeSubscriptions(standardFolders, posix: posix)
        if fsync {
            try POSIX.fsyncDirectory(root)
            if !parent.isEmpty { try POSIX.fsyncDirectory(parent) }
        }
    }

    /// Makes `path` a complete folder. A new folder is built inside `tmp/` and renamed into place,
    /// so other processes never see it half made.
    func ensureFolder(at path: String, posix: POSIX, fsync: Bool) throws(MailStoreError) {
        if path == root { return }
        if try POSIX.status(path) != nil {
            for name in Self.subdirectories { try posix.makeDirectory(path + "/" + name) }
            return
        }
        let staging = root + "/tmp/.shoal-folder.\(getpid()).\(DeliveryCounter.next())"
        try posix.makeDirectory(staging)
        for name in Self.subdirectories { try posix.makeDirectory(staging + "/" + name) }
        let marker = try posix.open(staging + "/maildirfolder", O_WRONLY | O_CREAT | O_EXCL)
        try POSIX.close(marker, path: staging + "/maildirfolder")
        if fsync { try POSIX.fsyncDirectory(staging) }
        if Glibc.rename(staging, path) != 0 {
            let code = errno
            removeStaging(staging)
            // Another process made the folder first: use theirs.
            guard code == EEXIST || code == ENOTEMPTY else {
                throw .io(operation: "rename folder into place", path: path, errno: code)
            }
            return
        }
        if fsync { try POSIX.fsyncDirectory(root) }
    }

    private func removeStaging(_ staging: String) {
        _ = unlink(staging + "/maildirfolder")
        for name in Self.subdirectories { _ = rmdir(staging + "/" + name) }
        _ = rmdir(staging)
    }

    /// Writes Dovecot's `subscriptions` (version 2) naming `folders`, unless the file exists.
    private func writeSubscriptions(_ folders: [String], posix: POSIX) throws(MailStoreError) {
        guard !folders.isEmpty else { return }
        let path = root + "/subscriptions"
        if try POSIX.status(path) != nil { return }
        let stagingPath = root + "/tmp/.shoal-subscriptions.\(getpid()).\(DeliveryCounter.next())"
        let staging = try posix.open(stagingPath, O_WRONLY | O_CREAT | O_EXCL)
        let names = folders.map {
            $0.split(whereSeparator: { $0 == "/" || $0 == "." }).map { FolderName.modifiedUTF7(String($0)) }
                .joined(separator: "\t")
        }
        try POSIX.writeAll(staging, Array(("V\t2\n\n" + names.map { $0 + "\n" }.joined()).utf8), path: stagingPath)
        try POSIX.close(staging, path: stagingPath)
        // link() fails when another process wrote the file first; theirs stays.
        let linked = link(stagingPath, path) == 0
        let code = errno
        try POSIX.unlink(stagingPath)
        if !linked && code != EEXIST { throw .io(operation: "link subscriptions into place", path: path, errno: code) }
    }
}
