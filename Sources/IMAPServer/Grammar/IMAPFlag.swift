/// A message flag: a system flag (RFC 3501 §2.3.2), a keyword (an atom), or a flag extension (`\Name`).
public enum IMAPFlag: Hashable, Sendable {
    case seen
    case answered
    case flagged
    case deleted
    case draft
    /// `\Recent`: set by the server only; never valid in STORE or APPEND.
    case recent
    /// A keyword such as `$Forwarded` or `NonJunk`, as sent (keywords compare case-insensitively).
    case keyword(String)
    /// Any other `\Name` the grammar allows (flag-extension); the server decides whether it is permanent.
    case `extension`(String)

    /// The flag from its wire form (`\Seen`, `$Junk`); nil when it is neither `\` atom nor a valid keyword atom.
    public init?(_ text: String) {
        if text.first == "\\" {
            let name = text.dropFirst()
            guard !name.isEmpty, name.utf8.allSatisfy(IMAPByteClass.isAtomChar) else { return nil }
            switch name.uppercased() {
            case "SEEN": self = .seen
            case "ANSWERED": self = .answered
            case "FLAGGED": self = .flagged
            case "DELETED": self = .deleted
            case "DRAFT": self = .draft
            case "RECENT": self = .recent
            default: self = .extension(String(name))
            }
        } else {
            guard !text.isEmpty, text.utf8.allSatisfy(IMAPByteClass.isAtomChar) else { return nil }
            self = .keyword(text)
        }
    }

    /// The wire form: `\Seen`, `$Forwarded`.
    public var rendered: String {
        switch self {
        case .seen: "\\Seen"
        case .answered: "\\Answered"
        case .flagged: "\\Flagged"
        case .deleted: "\\Deleted"
        case .draft: "\\Draft"
        case .recent: "\\Recent"
        case let .keyword(name): name
        case let .extension(name): "\\" + name
        }
    }

    /// True for flags a client may set with STORE or APPEND (everything but `\Recent`).
    public var isStorable: Bool { self != .recent }

    /// A parenthesized flag list: `(\Seen \Deleted $Junk)`; `\*` is appended when `allowsNewKeywords`
    /// (the PERMANENTFLAGS form).
    public static func renderList(_ flags: [IMAPFlag], allowsNewKeywords: Bool = false) -> String {
        var items = flags.map(\.rendered)
        if allowsNewKeywords { items.append("\\*") }
        return "(" + items.joined(separator: " ") + ")"
    }
}
