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

    /// True when the Content-* fields apply: a body part of a multipart, or a message whose header has MIME-Version or
    /// Content-Type. Otherwise (as in Dovecot) Content-Disposition and the rest are ignored.
    public var isMIME: Bool

    /// The value of a header field of this part, as written with folds removed.
    public func headerValue(_ name: String) -> String? { header.value(named: name) }

    /// Content-Transfer-Encoding as written: the first field that is one token (comments allowed); nil when none.
    public var transferEncoding: HeaderText? {
        guard isMIME else { return nil }
        for field in header.fields(named: "Content-Transfer-Encoding") {
            var cursor = ByteCursor(header.rawValue(of: field))
            cursor.skipCFWS()
            let token = cursor.run { $0.isMIMETokenByte || $0 == UInt8(ascii: ".") }
            cursor.skipCFWS()
            if !token.isEmpty && cursor.isAtEnd { return HeaderText(token) }
        }
        return nil
    }

    /// Content-Disposition (Dovecot's choice among several fields), nil when absent.
    public var disposition: ContentDisposition? { isMIME ? ContentDisposition.from(header) : nil }

    /// Content-Language tags (atoms separated by commas, from the first field that has one), nil when absent.
    public var languages: [HeaderText]? {
        guard isMIME else { return nil }
        for field in header.fields(named: "Content-Language") {
            var cursor = ByteCursor(header.rawValue(of: field))
            var tags: [HeaderText] = []
            cursor.skipCFWS()
            while true {
                let tag = cursor.run { $0.isAtomByte && $0 != UInt8(ascii: ".") }
                guard !tag.isEmpty else { break }
                tags.append(HeaderText(tag))
                cursor.skipCFWS()
                guard cursor.take(UInt8(ascii: ",")) else { break }
                cursor.skipCFWS()
            }
            if !tags.isEmpty { return tags }
        }
        return nil
    }

    /// Raw values of the first such field, as BODYSTRUCTURE shows them.
    public var contentID: HeaderText? { rawHeaderValue("Content-ID") }
    public var contentDescription: HeaderText? { rawHeaderValue("Content-Description") }
    public var contentMD5: HeaderText? { rawHeaderValue("Content-MD5") }
    public var contentLocation: HeaderText? { rawHeaderValue("Content-Location") }

    func rawHeaderValue(_ name: String) -> HeaderText? {
        guard isMIME else { return nil }
        return header.field(named: name).map { header.imapValue(of: $0) }
    }
}
