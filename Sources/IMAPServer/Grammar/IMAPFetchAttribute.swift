public import MIME

/// One FETCH data item (RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ); the macros ALL, FAST and FULL
/// are expanded by the parser.
public enum IMAPFetchAttribute: Hashable, Sendable {
    case envelope
    case flags
    case internalDate
    /// RFC822: the whole message (sets \Seen).
    case rfc822
    case rfc822Header
    case rfc822Size
    /// RFC822.TEXT: the body (sets \Seen).
    case rfc822Text
    /// BODY without a section: the non-extensible BODYSTRUCTURE.
    case bodyStructureWithoutExtensions
    case bodyStructure
    case uid
    case modSeq
    /// BODY[section]<partial> or, with `peek`, BODY.PEEK[section]<partial> (which does not set \Seen).
    case body(section: MessageSection, partial: IMAPPartial?, peek: Bool)
    /// BINARY[part]<partial> / BINARY.PEEK[part]<partial> (RFC 3516); an empty part is the whole message.
    case binary(part: [Int], partial: IMAPPartial?, peek: Bool)
    /// BINARY.SIZE[part] (RFC 3516).
    case binarySize(part: [Int])

    /// FAST: FLAGS INTERNALDATE RFC822.SIZE.
    public static let fast: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size]
    /// ALL: FLAGS INTERNALDATE RFC822.SIZE ENVELOPE.
    public static let all: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope]
    /// FULL: FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.
    public static let full: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope, .bodyStructureWithoutExtensions]

    /// Whether fetching this sets \Seen (in a read-write mailbox).
    public var setsSeen: Bool {
        switch self {
        case .rfc822, .rfc822Text: true
        case let .body(_, _, peek), let .binary(_, _, peek): !peek
        default: false
        }
    }

    /// The label of this item in the FETCH response: `FLAGS`, `BODY[HEADER.FIELDS (FROM TO)]`, and for a
    /// partial fetch `BODY[]<0>` (the origin only). BODY.PEEK and BINARY.PEEK answer as BODY and BINARY.
    public var responseLabel: String {
        switch self {
        case .envelope: return "ENVELOPE"
        case .flags: return "FLAGS"
        case .internalDate: return "INTERNALDATE"
        case .rfc822: return "RFC822"
        case .rfc822Header: return "RFC822.HEADER"
        case .rfc822Size: return "RFC822.SIZE"
        case .rfc822Text: return "RFC822.TEXT"
        case .bodyStructureWithoutExtensions: return "BODY"
        case .bodyStructure: return "BODYSTRUCTURE"
        case .uid: return "UID"
        case .modSeq: return "MODSEQ"
        case let .body(section, partial, _):
            return "BODY[\(section.rendered)]" + (partial.map { "<\($0.origin)>" } ?? "")
        case let .binary(part, partial, _):
            return "BINARY[\(MessageSection.renderPart(part))]" + (partial.map { "<\($0.origin)>" } ?? "")
        case let .binarySize(part):
            return "BINARY.SIZE[\(MessageSection.renderPart(part))]"
        }
    }

    /// The item as a client would send it (`BODY.PEEK[1.2.MIME]<0.100>`).
    public var requestForm: String {
        switch self {
        case let .body(section, partial, peek):
            return (peek ? "BODY.PEEK[" : "BODY[") + section.rendered + "]" + (partial.map(\.rendered) ?? "")
        case let .binary(part, partial, peek):
            return (peek ? "BINARY.PEEK[" : "BINARY[") + MessageSection.renderPart(part) + "]" + (partial.map(\.rendered) ?? "")
        default:
            return responseLabel
        }
    }
}

/// `<origin.count>` of a partial fetch.
public struct IMAPPartial: Hashable, Sendable {
    public var origin: UInt32
    /// nz-number.
    public var count: UInt32
    public init(origin: UInt32, count: UInt32) {
        self.origin = origin
        self.count = count
    }
    /// `<origin.count>`.
    public var rendered: String { "<\(origin).\(count)>" }
}

/// BODY section specs are the MIME module's ``MIME/MessageSection`` (the one section type: the parser makes
/// them, the message serves them); this adds the forms a FETCH response writes.
extension MessageSection {
    /// The whole message: `BODY[]`.
    public static let whole = MessageSection()

    static func renderPart(_ part: [Int]) -> String { part.map(String.init).joined(separator: ".") }

    /// The canonical text between the brackets: `1.2.HEADER.FIELDS (FROM TO)`, `TEXT`, empty for the whole message.
    public var rendered: String {
        var out = Self.renderPart(path)
        guard let text else { return out }
        if !path.isEmpty { out += "." }
        switch text {
        case .header: out += "HEADER"
        case let .headerFields(names): out += "HEADER.FIELDS (" + names.map(IMAPString.renderAString).joined(separator: " ") + ")"
        case let .headerFieldsNot(names): out += "HEADER.FIELDS.NOT (" + names.map(IMAPString.renderAString).joined(separator: " ") + ")"
        case .text: out += "TEXT"
        case .mime: out += "MIME"
        }
        return out
    }
}
