import CLDAP
import Foundation
public import Logging
public import NIOPosix

/// Users from an LDAP directory (libldap): cached lookups, bind- or verify-mode authentication, managed changes.
public final class LDAPDirectory: ManagedUserDirectory {
    public let configuration: LDAPConfiguration
    /// The scheme `add` and `setPassword` hash new passwords with.
    public let passwordScheme: PasswordScheme
    /// The auxiliary object class `add` gives entries with aliases or quotas (ShoalTestFixtures' `shoal.schema`).
    public let mailObjectClass: String
    let pool: LDAPConnectionPool
    let loginCache: LookupCache<DirectoryUser>
    let addressCache: LookupCache<DirectoryUser>
    let logger: Logger

    /// `threadPool` nil (the default): the directory runs libldap on a thread pool of its own, sized from
    /// `configuration.poolSize` and shut down with the directory (`shutdown()`, or when it is released).
    public init(configuration: LDAPConfiguration, threadPool: NIOThreadPool? = nil,
                logger: Logger = Logger(label: "shoal.directory.ldap"),
                passwordScheme: PasswordScheme = .ssha512, mailObjectClass: String = "shoalMailAccount") {
        self.configuration = configuration
        self.passwordScheme = passwordScheme
        self.mailObjectClass = mailObjectClass
        self.logger = logger
        pool = LDAPConnectionPool(configuration: configuration, threadPool: threadPool, logger: logger)
        loginCache = LookupCache(positiveTTL: .seconds(configuration.positiveCacheTTL),
                                 negativeTTL: .seconds(configuration.negativeCacheTTL))
        addressCache = LookupCache(positiveTTL: .seconds(configuration.positiveCacheTTL),
                                   negativeTTL: .seconds(configuration.negativeCacheTTL))
    }

    public func user(login: String) async throws(DirectoryError) -> DirectoryUser? {
        guard !login.isEmpty else { return nil }
        if let cached = await loginCache.lookup(login) { return cached }
        let user = try await findEntry(configuration.userFilter, name: login, attributes: userAttributes).map(makeUser)
        await loginCache.store(login, user)
        return user
    }

    public func user(address: String) async throws(DirectoryError) -> DirectoryUser? {
        guard !address.isEmpty else { return nil }
        if let cached = await addressCache.lookup(address) { return cached }
        let user = try await findEntry(configuration.addressFilter, name: address, attributes: userAttributes)
            .map(makeUser)
        await addressCache.store(address, user)
        return user
    }

    /// Empty passwords fail at once: to the server, an empty simple bind is an anonymous one and would succeed.
    /// Disabled accounts answer `.disabled` only when the password is right.
    public func authenticate(login: String, password: String) async throws(DirectoryError) -> AuthenticationResult {
        guard !password.isEmpty else { return .wrongPassword }
        guard !login.isEmpty else { return .unknownUser }
        let verify = configuration.authMode == .verify
        let attributes = userAttributes + (verify ? [configuration.passwordAttribute] : [])
        guard let entry = try await findEntry(configuration.userFilter, name: login, attributes: attributes) else {
            return .unknownUser
        }
        let passwordMatches = verify
            ? entry.values(configuration.passwordAttribute).contains { PasswordHash.verify(password, against: $0) }
            : try await pool.checkPassword(dn: entry.dn, password: password)
        guard passwordMatches else { return .wrongPassword }
        let user = makeUser(entry)
        guard user.enabled else { return .disabled }
        return .success(user)
    }

    /// Closes the idle pooled connections; later calls open new ones.
    public func closeIdleConnections() async { await pool.closeIdle() }

    /// Closes the pooled connections and stops the directory's own thread pool; later calls fail
    /// with `.unavailable`.
    public func shutdown() async { await pool.shutdown() }

    /// The thread pool libldap's blocking calls run on.
    public var threadPool: NIOThreadPool { pool.threadPool }

    // MARK: - Searching

    var userAttributes: [String] {
        let c = configuration
        return [c.loginAttribute, c.mailAttribute, c.aliasAttribute, c.mailboxAttribute, c.quotaAttribute,
                c.quotaMessagesAttribute, c.expiryAttribute]
    }

    /// The one entry matching the template for `name`; nil for none, a conflict error for several.
    func findEntry(_ template: String, name: String, attributes: [String]) async throws(DirectoryError) -> LDAPEntry? {
        let filter = LDAPEscaping.expand(template, name: name)
        let entries = try await search(filter, attributes: attributes, sizeLimit: 2)
        guard entries.count <= 1 else {
            throw DirectoryError(.conflict, "\(entries.count)+ entries match \(filter) under \(configuration.base)",
                                 location: configuration.uris.first)
        }
        logger.debug("LDAP lookup", metadata: ["filter": "\(filter)", "found": "\(entries.first?.dn ?? "-")"])
        return entries.first
    }

    /// Entries under the base matching `filter` (already escaped); sizeLimit 0 means the server's limit.
    func search(_ filter: String, attributes: [String], sizeLimit: Int32) async throws(DirectoryError) -> [LDAPEntry] {
        let base = configuration.base
        let scope = try searchScope()
        let timeout = Int(configuration.operationTimeout.rounded(.up))
        return try await pool.withConnection("search \(filter)") { connection throws(LDAPFailure) in
            try connection.search(base: base, scope: scope, filter: filter, attributes: attributes,
                                  sizeLimit: sizeLimit, timeoutSeconds: timeout, allowPartial: sizeLimit > 0)
        }
    }

    func searchScope() throws(DirectoryError) -> Int32 {
        switch configuration.scope.lowercased() {
        case "sub", "subtree": return shoal_ldap_scope_sub()
        case "one", "onelevel": return shoal_ldap_scope_one()
        case "base": return shoal_ldap_scope_base()
        default:
            throw DirectoryError(.configuration, "LDAP scope \"\(configuration.scope)\" is not sub, one or base")
        }
    }

    /// The user an entry describes: mail values first, then aliases; disabled when the expiry day has come.
    func makeUser(_ entry: LDAPEntry) -> DirectoryUser {
        let c = configuration
        var addresses: [String] = []
        for address in entry.values(c.mailAttribute) + entry.values(c.aliasAttribute)
        where !addresses.contains(where: { $0.caseInsensitiveCompare(address) == .orderedSame }) {
            addresses.append(address)
        }
        return DirectoryUser(
            login: entry.first(c.loginAttribute) ?? "", addresses: addresses, mailbox: entry.first(c.mailboxAttribute),
            quotaBytes: entry.first(c.quotaAttribute).flatMap { UInt64($0) },
            quotaMessages: entry.first(c.quotaMessagesAttribute).flatMap { UInt64($0) },
            enabled: !Self.isExpired(entry.first(c.expiryAttribute))
        )
    }

    /// shadowExpire semantics: days since 1970-01-01; expired on and after that day; -1 or absent never.
    static func isExpired(_ value: String?, now: Date = Date()) -> Bool {
        guard let value, let day = Int(value.trimmingCharacters(in: .whitespaces)), day >= 0 else { return false }
        return day <= Int(now.timeIntervalSince1970 / 86_400)
    }
}
