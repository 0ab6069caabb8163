/// One entity of a message's MIME tree, located by byte ranges in the message so sections are served as slices.
///
/// The root (index 0) is the message itself. A `message/rfc822` part has one child: the encapsulated message, whose
/// header is that message's header. Children are indices into ``MIMEMessage/parts``.
public struct MessagePart: Hashable, Sendable {
    /// How a part's body is structured.
    public enum Kind: Hashable, Sendable {
        /// A single body (text, image, ... or anything past a limit).
        case leaf
        /// A multipart: the children are its body parts.
        case multipart
        /// A message/rfc822: the one child is the encapsulated message.
        case message
    }

    public var kind: Kind
    /// The header: the message header for the root and encapsulated messages, the MIME header for body parts.
    public var header: MessageHeader
    /// The header's bytes in the message, including the empty line that ends it when there is one.
    public var headerRange: Range<Int>
    /// The body's bytes in the message: everything after the header up to the line break before the next boundary.
    public var bodyRange: Range<Int>
    /// The Content-Type, or the default (text/plain; message/rfc822 inside multipart/digest).
    public var contentType: ContentType
    /// Indices of the children in ``MIMEMessage/parts``.
    public var children: [Int]
    /// Index of the parent in ``MIMEMessage/parts``; nil for the root.
    public var parent: Int?
    /// Multipart and message/rfc822 levels above this part.
    public var depth: Int
    /// True for the root and for encapsulated messages: the header is a message header (ENVELOPE applies).
    public var isMessage: Bool
    /// Line feeds in the body: the line count BODYSTRUCTURE gives text and message/rfc822 parts.
    public var bodyLines: Int
    /// Bare line feeds (without CR) in the body: the body's size as IMAP sends it (CR LF) is `bodyRange.count` plus these.
    public var bodyBareLineFeeds: Int
    /// True when a limit (depth, part count) stopped the parser from looking inside this part.
    public var isTruncated: Bool

    /// The body's size in octets once every line break is CR LF, as BODYSTRUCTURE reports it.
    public var bodySize: Int { bodyRange.count + bodyBareLineFeeds }

    /// The value of a MIME header field of this part, as written with folds removed.
    public func headerValue(_ name: String) -> String? { header.value(named: name) }

    /// Content-Transfer-Encoding (the token as written), nil when absent.
    public var transferEncoding: String? {
        header.field(named: "Content-Transfer-Encoding").map {
            var cursor = ByteCursor(header.rawValue(of: $0))
            cursor.skipCFWS()
            return MIMEText.string(cursor.token())
        }
    }

    /// Content-Disposition, nil when absent.
    public var disposition: ContentDisposition? {
        header.field(named: "Content-Disposition").map { ContentDisposition(parsing: header.rawValue(of: $0)) }
    }

    /// Content-Language tags, nil when absent.
    public var languages: [String]? {
        guard let field = header.field(named: "Content-Language") else { return nil }
        var cursor = ByteCursor(header.rawValue(of: field))
        var tags: [String] = []
        while !cursor.isAtEnd {
            cursor.skipCFWS()
            let tag = cursor.run { $0.isMIMETokenByte }
            if !tag.isEmpty { tags.append(MIMEText.string(tag)) } else { cursor.advance() }
        }
        return tags.isEmpty ? nil : tags
    }

    /// Raw header values, as BODYSTRUCTURE shows them.
    public var contentID: String? { rawHeaderValue("Content-ID") }
    public var contentDescription: String? { rawHeaderValue("Content-Description") }
    public var contentMD5: String? { rawHeaderValue("Content-MD5") }
    public var contentLocation: String? { rawHeaderValue("Content-Location") }

    func rawHeaderValue(_ name: String) -> String? {
        header.field(named: name).map { MIMEText.string(header.rawValue(of: $0)) }
    }
}
