import MailStore
/// A mailbox name as sent on the wire, with `INBOX` (any case) normalized and its modified UTF-7 decoded.
public struct IMAPMailboxName: Hashable, Sendable, CustomStringConvertible {
    /// The name as the client sent it (modified UTF-7), except that any case of `INBOX` is `INBOX`.
    public var wire: String
    /// The Unicode name (modified UTF-7 decoded); nil when the wire name is not valid modified UTF-7.
    public var decoded: String?

    public init(wire: String) {
        self.wire = wire.uppercased() == "INBOX" ? "INBOX" : wire
        self.decoded = ModifiedUTF7.decode(self.wire)
    }

    /// The name for a Unicode mailbox name (encoded to modified UTF-7).
    public init(decoded name: String) {
        self.init(wire: ModifiedUTF7.encode(name))
    }

    public static let inbox = IMAPMailboxName(wire: "INBOX")

    /// True for `INBOX` in any case.
    public var isInbox: Bool { wire == "INBOX" }

    public var description: String { wire }
}
