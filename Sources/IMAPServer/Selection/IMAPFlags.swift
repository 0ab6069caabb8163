public import MailStore

/// IMAP flags as Maildir stores them (RFC 3501 §2.3.2): `\Seen` is `S`, `\Answered` `R`, `\Flagged` `F`,
/// `\Deleted` `T`, `\Draft` `D`; keywords go to `dovecot-keywords`; `\Recent` is never stored.
public enum IMAPFlags {
    /// The system flags in the order responses list them.
    public static let system: [(flag: IMAPFlag, stored: MailFlag)] = [
        (.answered, .replied), (.flagged, .flagged), (.deleted, .trashed), (.seen, .seen), (.draft, .draft),
    ]

    /// The stored flag for a system flag, nil for a keyword, `\Recent` or an extension.
    public static func stored(_ flag: IMAPFlag) -> MailFlag? {
        system.first { $0.flag == flag }?.stored
    }

    /// A message's flags as FETCH FLAGS shows them: system flags, then keywords, then `\Recent`.
    public static func flags(_ message: StoredMessage, recent: Bool = false) -> [IMAPFlag] {
        system.filter { message.flags.contains($0.stored) }.map(\.flag) + message.keywords.map(IMAPFlag.keyword)
            + (recent ? [.recent] : [])
    }

    /// Splits flags from STORE or APPEND into what the store keeps (keywords deduplicated case-insensitively).
    public static func split(_ flags: [IMAPFlag]) -> (stored: Set<MailFlag>, keywords: [String]) {
        var stored = Set<MailFlag>(), keywords: [String] = []
        for flag in flags {
            if let system = Self.stored(flag) {
                stored.insert(system)
            } else if case let .keyword(name) = flag, !keywords.contains(where: { $0.lowercased() == name.lowercased() }) {
                keywords.append(name)
            }
        }
        return (stored, keywords)
    }
}
