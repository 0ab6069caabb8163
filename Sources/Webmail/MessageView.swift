import Foundation
public import HTMLSanitizer
public import MIME

/// What the read page shows of one message, taken from its MIME tree: decoded headers, the text and HTML
/// bodies (the HTML only as the sanitizer leaves it), the attachments, and the parts `cid:` images name.
public struct MessageView: Hashable, Sendable {
    /// One attachment (a leaf that is not a body shown, or an attached message).
    public struct Attachment: Hashable, Sendable {
        /// The part's index in the message's part list (the download route names it).
        public var part: Int
        public var filename: String
        /// `type/subtype`, lowercased.
        public var contentType: String
        public var size: Int
    }

    public var subject: String
    public var from: String
    public var to: String
    public var cc: String
    public var date: String
    public var messageID: String?
    public var references: [String]
    /// Plain text to show (`text/plain`), when there is one.
    public var text: String?
    /// The sanitized HTML body, when there is one.
    public var html: HTMLSanitizer.Result?
    public var attachments: [Attachment]
    /// Content-ID (without `<>`) → part index, for `cid:` images.
    public var contentIDs: [String: Int]

    /// Reads the message; `sanitizer` gets a `contentIDURL` that maps to the inline-part route.
    public init(message: MIMEMessage, sanitizer: (_ contentIDs: [String: Int]) -> HTMLSanitizer) {
        let header = { (name: String) in message.decodedHeaderValue(name).joined(separator: ", ") }
        subject = header("Subject")
        from = header("From")
        to = header("To")
        cc = header("Cc")
        date = header("Date")
        messageID = message.header.value(named: "Message-ID").map { $0.trimmingCharacters(in: .whitespaces) }
        references = (message.header.value(named: "References") ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            .map(String.init).filter { $0.hasPrefix("<") }
        var textPart: Int?, htmlPart: Int?
        var attachments: [Attachment] = []
        var contentIDs: [String: Int] = [:]
        var stack = [0]
        while let index = stack.popLast() {
            let part = message.parts[index]
            switch part.kind {
            case .multipart:
                stack.append(contentsOf: part.children.reversed())
                continue
            case .message where index != 0:
                attachments.append(Self.attachment(message, index, defaultName: "message.eml"))
                continue
            case .message:
                stack.append(contentsOf: part.children.reversed())
                continue
            case .leaf: break
            }
            let isAttachment = part.disposition?.type.equalsIgnoringCase("attachment") ?? false
            if let id = part.contentID?.string.trimmingCharacters(in: .whitespaces), id.count > 2 {
                contentIDs[String(id.dropFirst(id.hasPrefix("<") ? 1 : 0).dropLast(id.hasSuffix(">") ? 1 : 0))] = index
            }
            if !isAttachment, part.contentType.isType("text", "plain"), textPart == nil {
                textPart = index
            } else if !isAttachment, part.contentType.isType("text", "html"), htmlPart == nil {
                htmlPart = index
            } else {
                attachments.append(Self.attachment(message, index, defaultName: "part-\(index)"))
            }
        }
        text = textPart.flatMap { message.decodedText(ofPart: $0) }
        html = htmlPart.flatMap { message.decodedText(ofPart: $0) }.map { sanitizer(contentIDs).sanitize($0) }
        self.attachments = attachments
        self.contentIDs = contentIDs
    }

    static func attachment(_ message: MIMEMessage, _ index: Int, defaultName: String) -> Attachment {
        let part = message.parts[index]
        let name = part.disposition?.filename ?? part.contentType.parameters.value(named: "name") ?? defaultName
        let type = (part.contentType.type.string + "/" + part.contentType.subtype.string).lowercased()
        return Attachment(part: index, filename: EncodedWord.decode(name), contentType: type, size: part.bodyRange.count)
    }
}
