/// A mail user as the directory knows them: login, addresses, mailbox, quota and whether they may log in.
public struct DirectoryUser: Hashable, Sendable, Codable {
    /// The login name (LDAP `uid`).
    public var login: String
    /// Mail addresses: the primary one first, then aliases.
    public var addresses: [String]
    /// Where the user's mailbox lives (LDAP `homeDirectory`), or nil for the store's default ROOT/domain/user.
    public var mailbox: String?
    /// Quota in bytes, nil for none.
    public var quotaBytes: UInt64?
    /// Quota in messages, nil for none.
    public var quotaMessages: UInt64?
    /// False for accounts that exist but may not log in or receive mail.
    public var enabled: Bool

    public init(login: String, addresses: [String] = [], mailbox: String? = nil, quotaBytes: UInt64? = nil,
                quotaMessages: UInt64? = nil, enabled: Bool = true) {
        self.login = login
        self.addresses = addresses
        self.mailbox = mailbox
        self.quotaBytes = quotaBytes
        self.quotaMessages = quotaMessages
        self.enabled = enabled
    }

    /// The primary address, if the user has one.
    public var primaryAddress: String? { addresses.first }
}

/// The answer to an authentication attempt.
public enum AuthenticationResult: Hashable, Sendable {
    case success(DirectoryUser)
    case unknownUser
    case wrongPassword
    case disabled

    /// The user, when the password was right and the account enabled.
    public var user: DirectoryUser? {
        if case let .success(user) = self { return user }
        return nil
    }
}

/// Where mail nodes look users up and check their passwords.
public protocol UserDirectory: Sendable {
    /// The user with this login.
    func user(login: String) async throws(DirectoryError) -> DirectoryUser?
    /// The user owning this mail address (primary or alias), compared without regard to case.
    func user(address: String) async throws(DirectoryError) -> DirectoryUser?
    /// Checks a password; disabled accounts never authenticate.
    func authenticate(login: String, password: String) async throws(DirectoryError) -> AuthenticationResult
}

/// A directory that can also be changed (what `shoal users add|del|passwd` need).
public protocol ManagedUserDirectory: UserDirectory {
    /// Adds a user with a password (hashed with the directory's scheme).
    func add(_ user: DirectoryUser, password: String) async throws(DirectoryError)
    /// Removes a user; false when there was none.
    func delete(login: String) async throws(DirectoryError) -> Bool
    /// Sets a new password; false when there is no such user.
    func setPassword(login: String, password: String) async throws(DirectoryError) -> Bool
    /// Every user, sorted by login.
    func allUsers() async throws(DirectoryError) -> [DirectoryUser]
    /// Changes a user's addresses, mailbox, quotas and whether they may log in, all or nothing: `change` edits the
    /// user as stored (the login cannot change; the password has `setPassword`). An address of another user is a
    /// `.conflict`. Returns the user as stored afterwards, nil when there is no such user.
    func update(login: String, _ change: @escaping @Sendable (inout DirectoryUser) -> Void) async throws(DirectoryError) -> DirectoryUser?
}

/// A directory failure with what was being done and where.
public struct DirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The server could not be reached (every URI tried).
        case unavailable
        /// The server answered with an error.
        case server
        /// The configuration is unusable.
        case configuration
        /// The request itself is invalid (e.g. a login with characters a directory cannot store).
        case invalidRequest
        /// The entry exists already, or does not exist.
        case conflict
        /// Storage (SQLite) failed.
        case storage
    }

    public var kind: Kind
    public var message: String
    /// The server or file involved, if any.
    public var location: String?

    public init(_ kind: Kind, _ message: String, location: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        location.map { "\($0): \(message)" } ?? message
    }
}
