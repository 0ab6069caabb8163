import GRDB

/// Changing an existing user of the embedded directory (admin pages, `shoal users enable|disable|quota|alias`).
extension SQLiteDirectory {
    /// Reads, changes, checks and writes the user in one write transaction, so concurrent changes never mix.
    public func update(login: String, _ change: @escaping @Sendable (inout DirectoryUser) -> Void) async throws(DirectoryError) -> DirectoryUser? {
        let updated = try await write("cannot update '\(login)'") { db -> DirectoryUser? in
            guard let before = try SQLiteSchema.user(db, login: login) else { return nil }
            var after = before
            change(&after)
            guard after.login == before.login else {
                throw DirectoryError(.invalidRequest, "the login of '\(before.login)' cannot be changed to '\(after.login)'")
            }
            try Self.validate(after)
            for address in after.addresses {
                if let owner = try SQLiteSchema.owner(db, address: address), owner.lowercased() != before.login.lowercased() {
                    throw DirectoryError(.conflict, "address '\(address)' belongs to '\(owner)' already")
                }
            }
            try SQLiteSchema.update(db, after)
            return after
        }
        if let updated { logger.debug("updated user", metadata: ["login": "\(updated.login)", "path": "\(path)"]) }
        return updated
    }
}

extension SQLiteSchema {
    /// Rewrites a user's row (but its password) and addresses; the login names the row.
    static func update(_ db: Database, _ user: DirectoryUser) throws {
        try db.execute(
            sql: "UPDATE users SET mailbox = ?, quota_bytes = ?, quota_messages = ?, enabled = ? WHERE login = ?",
            arguments: [user.mailbox, user.quotaBytes.map { Int64($0) }, user.quotaMessages.map { Int64($0) }, user.enabled, user.login])
        try db.execute(sql: "DELETE FROM addresses WHERE login = ?", arguments: [user.login])
        for (position, address) in user.addresses.enumerated() {
            try db.execute(sql: "INSERT INTO addresses (address, login, position) VALUES (?, ?, ?)",
                           arguments: [address, user.login, position])
        }
    }
}
