import Foundation
import Glibc
import GRDB
public import Logging

/// The embedded user directory (Shoal's default): users and their addresses in one SQLite file.
///
/// Lookups by login or by any address compare without regard to ASCII case and use the primary-key
/// indexes. Passwords are stored as `{SSHA512}` (default) or `{CRYPT}` (SHA-512 crypt, `$6$`).
/// The file is opened in WAL mode, so mail nodes keep reading while `shoal users` writes; SQLite's
/// blocking I/O and password hashing run on GRDB's own dispatch queues, never on the caller's thread.
public final class SQLiteDirectory: ManagedUserDirectory {
    /// The database file.
    public let path: String
    /// How new passwords are stored.
    public let passwordScheme: PasswordScheme
    /// The schemes a password may be stored with.
    public static let storageSchemes: [PasswordScheme] = [.ssha512, .crypt]

    let pool: DatabasePool
    let logger: Logger

    /// Opens the database at `path`, creating it (owner-only, as it holds password hashes) and its parent
    /// directory when missing, and brings its schema up to date.
    public init(path: String, passwordScheme: PasswordScheme = .ssha512,
                logger: Logger = Logger(label: "shoal.directory.sqlite")) throws(DirectoryError) {
        guard Self.storageSchemes.contains(passwordScheme) else {
            throw DirectoryError(.configuration, "passwords cannot be stored as {\(passwordScheme.rawValue)}; use SSHA512 or CRYPT",
                                 location: path)
        }
        guard !path.isEmpty else { throw DirectoryError(.configuration, "the database path is empty") }
        self.path = path
        self.passwordScheme = passwordScheme
        self.logger = logger

        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw DirectoryError(.storage, "cannot create the directory \(parent): \(Self.reason(error))", location: path)
        }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw DirectoryError(.storage, "cannot create the database: \(String(cString: strerror(errno)))", location: path)
        }

        var configuration = Configuration()
        configuration.label = "shoal.directory"
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if try pool.read(SQLiteSchema.migrator.hasBeenSuperseded) {
                throw DirectoryError(.storage, "the database was written by a newer version of Shoal", location: path)
            }
            try SQLiteSchema.migrator.migrate(pool)
        } catch {
            throw Self.storageError(error, doing: "cannot open the database", path: path)
        }
        logger.debug("opened the user directory", metadata: ["path": "\(path)", "scheme": "\(passwordScheme.rawValue)"])
    }

    public func user(login: String) async throws(DirectoryError) -> DirectoryUser? {
        try await read("cannot look up '\(login)'") { db in try SQLiteSchema.user(db, login: login) }
    }

    public func user(address: String) async throws(DirectoryError) -> DirectoryUser? {
        try await read("cannot look up '\(address)'") { db in
            guard let login = try SQLiteSchema.owner(db, address: address) else { return nil }
            return try SQLiteSchema.user(db, login: login)
        }
    }

    /// Unknown logins are `.unknownUser`; a wrong (or empty) password is `.wrongPassword`, also for disabled
    /// accounts, so that only someone knowing the password learns that an account is disabled.
    public func authenticate(login: String, password: String) async throws(DirectoryError) -> AuthenticationResult {
        try await read("cannot authenticate '\(login)'") { db in
            guard let row = try SQLiteSchema.userRow(db, login: login) else { return .unknownUser }
            guard !password.isEmpty, !password.utf8.contains(0), PasswordHash.verify(password, against: row.password) else {
                return .wrongPassword
            }
            guard row.enabled else { return .disabled }
            return .success(row.user(addresses: try SQLiteSchema.addresses(db, login: row.login)))
        }
    }

    /// Adds `user`, all or nothing: a login or an address that exists already (in any case) is a `.conflict`.
    public func add(_ user: DirectoryUser, password: String) async throws(DirectoryError) {
        try Self.validate(user)
        try Self.validatePassword(password, login: user.login)
        let scheme = passwordScheme
        try await write("cannot add '\(user.login)'") { db in
            if let existing = try SQLiteSchema.userRow(db, login: user.login) {
                throw DirectoryError(.conflict, "user '\(existing.login)' exists already")
            }
            for address in user.addresses {
                if let owner = try SQLiteSchema.owner(db, address: address) {
                    throw DirectoryError(.conflict, "address '\(address)' belongs to '\(owner)' already")
                }
            }
            try SQLiteSchema.insert(db, user, storedPassword: try Self.hash(password, scheme: scheme))
        }
        logger.debug("added user", metadata: ["login": "\(user.login)", "path": "\(path)"])
    }

    public func delete(login: String) async throws(DirectoryError) -> Bool {
        let deleted = try await write("cannot delete '\(login)'") { db in
            try db.execute(sql: "DELETE FROM users WHERE login = ?", arguments: [login])
            return db.changesCount > 0
        }
        if deleted { logger.debug("deleted user", metadata: ["login": "\(login)", "path": "\(path)"]) }
        return deleted
    }

    public func setPassword(login: String, password: String) async throws(DirectoryError) -> Bool {
        try Self.validatePassword(password, login: login)
        let scheme = passwordScheme
        let changed = try await write("cannot set the password of '\(login)'") { db in
            guard try SQLiteSchema.userRow(db, login: login) != nil else { return false }
            try db.execute(sql: "UPDATE users SET password = ? WHERE login = ?",
                           arguments: [try Self.hash(password, scheme: scheme), login])
            return db.changesCount > 0
        }
        if changed { logger.debug("changed password", metadata: ["login": "\(login)", "path": "\(path)"]) }
        return changed
    }

    public func allUsers() async throws(DirectoryError) -> [DirectoryUser] {
        try await read("cannot list the users") { db in try SQLiteSchema.allUsers(db) }
    }

    /// The stored `{SCHEME}value` of a user's password (for tests and diagnostics).
    func storedPassword(login: String) async throws(DirectoryError) -> String? {
        try await read("cannot read the password of '\(login)'") { db in try SQLiteSchema.userRow(db, login: login)?.password }
    }

    // MARK: - Plumbing

    func read<T: Sendable>(_ doing: @autoclosure () -> String,
                                   _ body: @escaping @Sendable (Database) throws -> T) async throws(DirectoryError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.storageError(error, doing: doing(), path: path)
        }
    }

    func write<T: Sendable>(_ doing: @autoclosure () -> String,
                                    _ body: @escaping @Sendable (Database) throws -> T) async throws(DirectoryError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.storageError(error, doing: doing(), path: path)
        }
    }

    /// A new stored value; hashing runs inside the write, on GRDB's queue.
    private static func hash(_ password: String, scheme: PasswordScheme) throws(DirectoryError) -> String {
        let stored = PasswordHash.make(password, scheme: scheme)
        guard PasswordHash.verify(password, against: stored) else {
            throw DirectoryError(.storage, "could not hash the password with {\(scheme.rawValue)}")
        }
        return stored
    }

    /// `error` as a `DirectoryError` naming the database file; directory errors pass through unchanged.
    static func storageError(_ error: any Error, doing: String, path: String) -> DirectoryError {
        switch error {
        case let error as DirectoryError:
            return error
        case let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT:
            return DirectoryError(.conflict, "\(doing): \(error.message ?? "constraint violated")", location: path)
        case let error as DatabaseError:
            return DirectoryError(.storage, "\(doing): \(error.message ?? "SQLite error \(error.resultCode.rawValue)")", location: path)
        case is CancellationError:
            return DirectoryError(.storage, "\(doing): cancelled", location: path)
        default:
            return DirectoryError(.storage, "\(doing): \(error)", location: path)
        }
    }

    /// The POSIX reason behind a Foundation file error, when there is one.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
