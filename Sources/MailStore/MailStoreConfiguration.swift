/// Where the store keeps mailboxes and how it writes them; every field but `root` and `hostname` has a default.
public struct MailStoreConfiguration: Sendable {
    /// The shared root: a mailbox without its own location lives at `<root>/<domain>/<user>`.
    public var root: String
    /// This node's name in new file names (escaped as Dovecot does) and in lock files.
    public var hostname: String
    /// Flush files and directories before a delivery is acknowledged. Turn off only for tests.
    public var fsync: Bool
    /// How long to wait for another process's `dovecot-uidlist.lock` (or other dotlock).
    public var lockTimeout: Duration
    /// Age after which a dotlock is considered abandoned and taken over (Dovecot: 120 s).
    public var staleLockTimeout: Duration
    /// Modes and owner of created files and directories.
    public var permissions: FilePermissions
    /// Folders created, and subscribed, along with a new mailbox.
    public var standardFolders: [String]
    /// How folder changes are noticed (``Mailbox/watchChanges(folder:_:)`` returns nil with `.poll`).
    public var changeNotification: ChangeNotification

    public init(
        root: String,
        hostname: String,
        fsync: Bool = true,
        lockTimeout: Duration = .seconds(30),
        staleLockTimeout: Duration = .seconds(120),
        permissions: FilePermissions = FilePermissions(),
        standardFolders: [String] = ["Sent", "Drafts", "Trash", "Junk"],
        changeNotification: ChangeNotification = .inotify
    ) {
        self.root = root
        self.hostname = hostname
        self.fsync = fsync
        self.lockTimeout = lockTimeout
        self.staleLockTimeout = staleLockTimeout
        self.permissions = permissions
        self.standardFolders = standardFolders
        self.changeNotification = changeNotification
    }
}

/// Whose mailbox: the login and domain, or the directory's explicit location, and the quota to enforce.
public struct MailboxOwner: Sendable, Hashable {
    public var login: String
    public var domain: String?
    /// An absolute Maildir path from the directory; when set it wins over `<root>/<domain>/<user>`.
    public var location: String?
    public var quotaBytes: UInt64?
    public var quotaMessages: UInt64?

    public init(
        login: String, domain: String? = nil, location: String? = nil,
        quotaBytes: UInt64? = nil, quotaMessages: UInt64? = nil
    ) {
        self.login = login
        self.domain = domain
        self.location = location
        self.quotaBytes = quotaBytes
        self.quotaMessages = quotaMessages
    }

    /// The Maildir path: `location`, else `<root>/<domain>/<user>` lowercased (a `user@domain` login is split).
    func maildirPath(root: String) throws(MailStoreError) -> String {
        if let location, !location.isEmpty {
            guard location.hasPrefix("/") else {
                throw .invalidOwner(login: login, reason: "location \"\(location)\" is not an absolute path")
            }
            guard !location.split(separator: "/").contains(where: { $0 == ".." }) else {
                throw .invalidOwner(login: login, reason: "location \"\(location)\" contains \"..\"")
            }
            var path = location
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return path
        }
        var user = login.lowercased()
        var domain = self.domain?.lowercased()
        if domain == nil, let at = user.lastIndex(of: "@") {
            domain = String(user[user.index(after: at)...])
            user = String(user[..<at])
        }
        try check(user, what: "user name")
        if let domain { try check(domain, what: "domain") }
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return [base, domain, user].compactMap { $0 }.joined(separator: "/")
    }

    private func check(_ part: String, what: String) throws(MailStoreError) {
        if part.isEmpty || part == "." || part == ".." || part.contains("/") || part.contains("\0") {
            throw .invalidOwner(login: login, reason: "\(what) \"\(part)\" cannot name a directory")
        }
    }
}
