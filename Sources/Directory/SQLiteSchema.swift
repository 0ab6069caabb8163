import GRDB

/// The tables of the embedded directory, their migrations, and the queries `SQLiteDirectory` runs on them.
///
/// `users.login` and `addresses.address` compare without regard to (ASCII) case, so a lookup by any
/// spelling uses the primary-key index, and an address can belong to one user only.
enum SQLiteSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: users and addresses") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    login TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
                    password TEXT NOT NULL,
                    mailbox TEXT,
                    quota_bytes INTEGER CHECK (quota_bytes >= 0),
                    quota_messages INTEGER CHECK (quota_messages >= 0),
                    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
                );
                CREATE TABLE addresses (
                    address TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
                    login TEXT NOT NULL COLLATE NOCASE
                        REFERENCES users(login) ON DELETE CASCADE ON UPDATE CASCADE,
                    position INTEGER NOT NULL,
                    UNIQUE (login, position)
                );
                """)
        }
        return migrator
    }()

    /// A user's row, without addresses.
    struct UserRow {
        var login: String
        var password: String
        var mailbox: String?
        var quotaBytes: Int64?
        var quotaMessages: Int64?
        var enabled: Bool

        init(_ row: Row) {
            login = row["login"]
            password = row["password"]
            mailbox = row["mailbox"]
            quotaBytes = row["quota_bytes"]
            quotaMessages = row["quota_messages"]
            enabled = row["enabled"]
        }

        func user(addresses: [String]) -> DirectoryUser {
            DirectoryUser(login: login, addresses: addresses, mailbox: mailbox,
                          quotaBytes: quotaBytes.map { UInt64(max(0, $0)) },
                          quotaMessages: quotaMessages.map { UInt64(max(0, $0)) }, enabled: enabled)
        }
    }

    static func userRow(_ db: Database, login: String) throws -> UserRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE login = ?", arguments: [login]).map(UserRow.init)
    }

    static func addresses(_ db: Database, login: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT address FROM addresses WHERE login = ? ORDER BY position", arguments: [login])
    }

    static func user(_ db: Database, login: String) throws -> DirectoryUser? {
        guard let row = try userRow(db, login: login) else { return nil }
        return row.user(addresses: try addresses(db, login: row.login))
    }

    /// The login owning `address`, in its stored spelling.
    static func owner(_ db: Database, address: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT login FROM addresses WHERE address = ?", arguments: [address])
    }

    static func insert(_ db: Database, _ user: DirectoryUser, storedPassword: String) throws {
        try db.execute(
            sql: """
                INSERT INTO users (login, password, mailbox, quota_bytes, quota_messages, enabled)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [user.login, storedPassword, user.mailbox, user.quotaBytes.map { Int64($0) },
                        user.quotaMessages.map { Int64($0) }, user.enabled])
        for (position, address) in user.addresses.enumerated() {
            try db.execute(sql: "INSERT INTO addresses (address, login, position) VALUES (?, ?, ?)",
                           arguments: [address, user.login, position])
        }
    }

    static func allUsers(_ db: Database) throws -> [DirectoryUser] {
        var addresses: [String: [String]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT login, address FROM addresses ORDER BY login, position")
        while let row = try rows.next() {
            // Keyed by the users table's spelling of the login (the foreign key compares without case).
            let login: String = row["login"]
            addresses[login.lowercased(), default: []].append(row["address"])
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY login").map { row in
            let user = UserRow(row)
            return user.user(addresses: addresses[user.login.lowercased()] ?? [])
        }
    }
}
