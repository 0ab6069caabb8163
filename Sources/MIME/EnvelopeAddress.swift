/// One address of an IMAP ENVELOPE (RFC 3501 §7.4.2): name, source route (adl), mailbox and host.
/// A group is a start marker (mailbox = group name, host nil), its members, and an end marker (all nil).
public struct EnvelopeAddress: Hashable, Sendable {
    /// The display name (or the comment after a bare address), as written: encoded words are not decoded.
    public var name: String?
    /// The obsolete source route, `@a,@b`.
    public var adl: String?
    public var mailbox: String?
    public var host: String?

    public init(name: String? = nil, adl: String? = nil, mailbox: String?, host: String?) {
        self.name = name
        self.adl = adl
        self.mailbox = mailbox
        self.host = host
    }

    /// The marker opening a group named `name`.
    public static func groupStart(_ name: String) -> EnvelopeAddress { EnvelopeAddress(mailbox: name, host: nil) }
    /// The marker closing a group.
    public static let groupEnd = EnvelopeAddress(mailbox: nil, host: nil)

    /// What Dovecot puts where an address lacks its local part or its domain.
    public static let missingMailbox = "MISSING_MAILBOX"
    public static let missingDomain = "MISSING_DOMAIN"

    public var isGroupStart: Bool { host == nil && mailbox != nil }
    public var isGroupEnd: Bool { host == nil && mailbox == nil }
}
