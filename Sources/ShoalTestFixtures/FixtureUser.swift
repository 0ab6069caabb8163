/// A user the slapd fixture puts under `ou=people`: an inetOrgPerson + posixAccount + shadowAccount entry,
/// with `shoalMailAccount` for aliases and quotas.
public struct FixtureUser: Hashable, Sendable {
    public var login: String
    /// The `userPassword` value exactly as stored: `{SSHA}…`, `{CRYPT}$6$…`, `{CLEARTEXT}pw`, or plain text.
    public var password: String
    public var mail: String?
    public var aliases: [String]
    public var quotaBytes: UInt64?
    public var quotaMessages: UInt64?
    /// Stored as `shadowExpire: 1` (expired since 1970-01-02).
    public var disabled: Bool
    /// `homeDirectory`; nil stores `/var/mail/LOGIN`.
    public var mailbox: String?

    public init(login: String, password: String, mail: String? = nil, aliases: [String] = [],
                quotaBytes: UInt64? = nil, quotaMessages: UInt64? = nil, disabled: Bool = false, mailbox: String? = nil) {
        self.login = login
        self.password = password
        self.mail = mail
        self.aliases = aliases
        self.quotaBytes = quotaBytes
        self.quotaMessages = quotaMessages
        self.disabled = disabled
        self.mailbox = mailbox
    }
}
