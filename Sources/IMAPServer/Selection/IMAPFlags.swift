public import MailStore

/// IMAP's system flags as Maildir stores them (RFC 3501 §2.3.2): `\Seen` is `S`, `\Answered` `R`,
/// `\Flagged` `F`, `\Deleted` `T`, `\Draft` `D`; everything else is a keyword. `\Recent` is never stored.
public enum IMAPFlags {
    public static let system: [(name: String, flag: MailFlag)] = [
        ("\\Answered", .replied), ("\\Flagged", .flagged), ("\\Deleted", .trashed), ("\\Seen", .seen), ("\\Draft", .draft),
    ]

    /// The stored flag for a system flag name (case-insensitive), nil for a keyword or `\Recent`.
    public static func mailFlag(_ name: String) -> MailFlag? {
        system.first { $0.name.equalsIgnoringCase(name) }?.flag
    }

    /// The flag list of a message as FETCH FLAGS shows it: system flags in RFC order, then keywords,
    /// then `\Recent` when this session is the first to see the message.
    public static func names(_ message: StoredMessage, recent: Bool = false) -> [String] {
        system.filter { message.flags.contains($0.flag) }.map(\.name) + message.keywords + (recent ? ["\\Recent"] : [])
    }

    /// `(\Seen \Flagged Work)`.
    public static func list(_ names: [String]) -> String {
        "(" + names.joined(separator: " ") + ")"
    }
}

extension String {
    /// Case-insensitive ASCII comparison (IMAP flags, commands and INBOX compare this way).
    func equalsIgnoringCase(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
