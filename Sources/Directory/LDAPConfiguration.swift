/// How an `LDAPDirectory` reaches and reads the directory. Every field has a default that fits
/// inetOrgPerson + posixAccount entries under one base.
public struct LDAPConfiguration: Hashable, Sendable {
    /// How passwords are checked.
    public enum AuthMode: String, Hashable, Sendable, CaseIterable {
        /// Bind to the server as the user's DN with their password (the server checks it).
        case bind
        /// Read `userPassword` with the service account and verify it locally ({SSHA}, {SSHA256}, {SSHA512}, {CRYPT}, {PLAIN}).
        case verify
    }

    /// Transport security.
    public enum TLSMode: String, Hashable, Sendable, CaseIterable {
        /// Plain LDAP (ldap://), unless the URI is ldaps://.
        case none
        /// Upgrade every connection with StartTLS; fail when the server refuses.
        case startTLS
    }

    /// Server URIs tried in order (`ldap://host:port`, `ldaps://host:port`); the next is used when one is down.
    public var uris: [String]
    /// The search base.
    public var base: String
    /// Search scope: `sub` (default), `one` or `base`.
    public var scope: String = "sub"
    /// The service account's DN; nil binds anonymously.
    public var bindDN: String?
    public var bindPassword: String?
    /// Filter for a login (`%u` login, `%s` local part, `%d` domain; values are RFC 4515-escaped).
    public var userFilter = "(&(objectClass=posixAccount)(uid=%u))"
    /// Filter for a mail address: primary or alias.
    public var addressFilter = "(&(objectClass=posixAccount)(|(mail=%u)(mailAlternateAddress=%u)))"
    /// Attribute names.
    public var loginAttribute = "uid"
    public var mailAttribute = "mail"
    public var aliasAttribute = "mailAlternateAddress"
    public var mailboxAttribute = "homeDirectory"
    public var quotaAttribute = "mailQuotaSize"
    public var quotaMessagesAttribute = "mailQuotaCount"
    public var passwordAttribute = "userPassword"
    /// An account is disabled when this attribute (days since 1970, as shadowExpire) is in the past.
    public var expiryAttribute = "shadowExpire"
    public var authMode: AuthMode = .bind
    public var tls: TLSMode = .none
    /// CA certificates to verify the server against (PEM file); nil uses the system's.
    public var caFile: String?
    /// Verify the server certificate (and its name); turning it off is for tests only.
    public var verifyCertificate = true
    /// Seconds for connecting and for each operation.
    public var connectTimeout: Double = 3
    public var operationTimeout: Double = 5
    /// Connections kept open per directory (service-account searches; user binds use their own).
    public var poolSize = 4
    /// Seconds found users are cached, and "no such user" answers; 0 disables.
    public var positiveCacheTTL: Double = 60
    public var negativeCacheTTL: Double = 10

    public init(uris: [String], base: String) {
        self.uris = uris
        self.base = base
    }
}
