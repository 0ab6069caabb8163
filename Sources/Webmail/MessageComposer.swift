public import Foundation

/// A message the user wrote, as RFC 5322 bytes: addresses checked (no header injection), non-ASCII subjects
/// as RFC 2047 encoded words, the text as UTF-8 (base64 when it is not plain 7-bit short lines), attachments
/// (a forwarded message as `message/rfc822`) in a `multipart/mixed`. Pure: date, ids and boundary are given.
public struct MessageComposer: Sendable {
    /// One attached part.
    public struct Attachment: Hashable, Sendable {
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]

        public init(filename: String, contentType: String, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    /// Why a message cannot be written.
    public enum CompositionError: Error, Hashable, Sendable, CustomStringConvertible {
        case invalidAddress(String)
        case noRecipients

        public var description: String {
            switch self {
            case let .invalidAddress(address): "not a mail address: \(address)"
            case .noRecipients: "no recipient"
            }
        }
    }

    public var from: String
    public var to: [String]
    public var cc: [String]
    public var subject: String
    public var text: String
    public var inReplyTo: String?
    public var references: [String]
    public var attachments: [Attachment]

    public init(from: String, to: [String], cc: [String] = [], subject: String, text: String, inReplyTo: String? = nil,
                references: [String] = [], attachments: [Attachment] = []) {
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.text = text
        self.inReplyTo = inReplyTo
        self.references = references
        self.attachments = attachments
    }

    /// Every envelope recipient (To, then Cc).
    public var recipients: [String] { to + cc }

    /// A list of addresses as typed (commas, semicolons or spaces between them; `Name <a@b>` keeps `a@b`).
    public static func addresses(_ field: String) throws(CompositionError) -> [String] {
        var result: [String] = []
        for piece in field.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" || $0 == "\r" }) {
            var text = piece.trimmingCharacters(in: .whitespaces)
            if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
                text = String(text[text.index(after: open)..<close])
            }
            if text.isEmpty { continue }
            guard isAddress(text) else { throw .invalidAddress(String(text.prefix(80))) }
            result.append(text)
        }
        return result
    }

    /// `local@domain` of printable ASCII without spaces, quotes, brackets or separators (or UTF-8 above ASCII).
    public static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else { return false }
        return text.unicodeScalars.allSatisfy { c in
            c.value > 0x7F || (c.value > 0x20 && c.value < 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains(c))
        }
    }

    /// The message bytes (CR LF line ends).
    public func render(date: Date, messageID: String, boundary: String) throws(CompositionError) -> [UInt8] {
        guard !recipients.isEmpty else { throw .noRecipients }
        for address in [from] + recipients where !Self.isAddress(address) { throw .invalidAddress(address) }
        var head: [String] = [
            "Date: \(Self.rfc5322Date(date))",
            "From: <\(from)>",
            "To: " + to.map { "<\($0)>" }.joined(separator: ", "),
        ]
        if !cc.isEmpty { head.append("Cc: " + cc.map { "<\($0)>" }.joined(separator: ", ")) }
        head.append("Subject: " + Self.encodedHeader(subject))
        head.append("Message-ID: \(messageID)")
        if let inReplyTo, Self.isMessageID(inReplyTo) { head.append("In-Reply-To: \(inReplyTo)") }
        let refs = references.filter(Self.isMessageID)
        if !refs.isEmpty { head.append("References: " + refs.joined(separator: " ")) }
        head.append("MIME-Version: 1.0")
        head.append("User-Agent: Shoal webmail")
        let textPart = Self.textPart(text)
        var out: String
        if attachments.isEmpty {
            out = (head + textPart.headers).joined(separator: "\r\n") + "\r\n\r\n" + textPart.body
        } else {
            head.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
            out = head.joined(separator: "\r\n") + "\r\n\r\nThis is a MIME message.\r\n"
            out += "--\(boundary)\r\n" + textPart.headers.joined(separator: "\r\n") + "\r\n\r\n" + textPart.body
            var bytes = Array(out.utf8)
            for attachment in attachments {
                bytes += Array("\r\n--\(boundary)\r\n".utf8)
                bytes += Self.attachmentPart(attachment)
            }
            bytes += Array("\r\n--\(boundary)--\r\n".utf8)
            return bytes
        }
        return Array(out.utf8)
    }

    /// Headers and body of the text part.
    static func textPart(_ text: String) -> (headers: [String], body: String) {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        let plain = text.utf8.allSatisfy { $0 < 0x80 } && lines.allSatisfy { $0.utf8.count <= 900 }
        if plain {
            return (["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"],
                    lines.joined(separator: "\r\n") + "\r\n")
        }
        return (["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"],
                base64Lines(Array(lines.joined(separator: "\r\n").utf8) + [13, 10]))
    }

    /// One attachment's part.
    static func attachmentPart(_ attachment: Attachment) -> [UInt8] {
        let name = attachment.filename.filter { $0 != "\"" && $0 != "\\" && !$0.isNewline }
        let type = attachment.contentType.filter { !$0.isNewline && $0 != ";" }
        if type.lowercased() == "message/rfc822" {
            return Array("Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"\(name)\"\r\n\r\n".utf8)
                + attachment.bytes
        }
        return Array("Content-Type: \(type)\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"\(encodedHeader(name))\"\r\n\r\n".utf8)
            + Array(base64Lines(attachment.bytes).utf8)
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var out = ""
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            out += encoded[index..<end] + "\r\n"
            index = end
        }
        return out
    }

    /// ASCII text as it is (line breaks removed), anything else as one RFC 2047 base64 word per 45 bytes.
    static func encodedHeader(_ text: String) -> String {
        let single = text.filter { !$0.isNewline }
        if single.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && !single.contains("=?") { return single }
        var words: [String] = []
        var chunk = ""
        for character in single {
            if chunk.utf8.count + character.utf8.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk.utf8).base64EncodedString() + "?=")
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk.utf8).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `<...>` without spaces or line breaks.
    static func isMessageID(_ text: String) -> Bool {
        text.hasPrefix("<") && text.hasSuffix(">") && text.utf8.count <= 250
            && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }

    /// `Thu, 03 Dec 2026 20:39:06 +0000`.
    public static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
