/// One address of an IMAP ENVELOPE (RFC 3501 §7.4.2): name, source route (adl), mailbox and host.
/// A group is a start marker (mailbox = group name, host nil), its members, and an end marker (all nil).
public struct EnvelopeAddress: Hashable, Sendable {
    /// The display name (or the comment after a bare address), as written: encoded words are not decoded.
    public var name: HeaderText?
    /// The obsolete source route, `@a,@b`.
    public var adl: HeaderText?
    public var mailbox: HeaderText?
    public var host: HeaderText?

    public init(name: HeaderText? = nil, adl: HeaderText? = nil, mailbox: HeaderText?, host: HeaderText?) {
        self.name = name
        self.adl = adl
        self.mailbox = mailbox
        self.host = host
    }

    /// The marker opening a group named `name`.
    public static func groupStart(_ name: HeaderText) -> EnvelopeAddress { EnvelopeAddress(mailbox: name, host: nil) }
    /// The marker closing a group.
    public static let groupEnd = EnvelopeAddress(mailbox: nil, host: nil)

    /// What Dovecot puts where an address lacks its local part or its domain, or where its syntax breaks.
    public static let missingMailbox: HeaderText = "MISSING_MAILBOX"
    public static let missingDomain: HeaderText = "MISSING_DOMAIN"
    public static let syntaxError: HeaderText = "SYNTAX_ERROR"

    /// An address whose parts are missing (an empty list element, `<>`, a phrase without an address).
    static func invalid(name: HeaderText? = nil) -> EnvelopeAddress {
        EnvelopeAddress(name: name, mailbox: missingMailbox, host: missingDomain)
    }

    public var isGroupStart: Bool { host == nil && mailbox != nil }
    public var isGroupEnd: Bool { host == nil && mailbox == nil }
}
