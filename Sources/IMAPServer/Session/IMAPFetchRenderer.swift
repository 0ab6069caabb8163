import MIME
public import MailStore

/// Writes one `* n FETCH (...)` response (RFC 3501 §7.4.2) for a message: its listing entry, its flags,
/// and — when an item needs them — its bytes (served with CR LF line ends, as Dovecot serves Maildir
/// messages) and arrival time.
public struct IMAPFetchRenderer: Sendable {
    public var attributes: [IMAPFetchAttribute]
    /// UID FETCH answers with UID even when not asked for (RFC 3501 §6.4.8).
    public var includeUID: Bool

    public init(attributes: [IMAPFetchAttribute], includeUID: Bool) {
        self.attributes = attributes
        self.includeUID = includeUID
    }

    /// Whether any item needs the message's bytes.
    public var needsContents: Bool {
        attributes.contains { attribute in
            switch attribute {
            case .flags, .uid, .internalDate, .modSeq, .rfc822Size, .envelope, .bodyStructure, .bodyStructureWithoutExtensions: false
            default: true
            }
        }
    }

    /// Whether any item is answered from the message's summary (see ``IMAPSummaryCache``).
    public var needsSummary: Bool {
        attributes.contains { [.envelope, .bodyStructure, .bodyStructureWithoutExtensions].contains($0) }
    }

    public var needsReceivedDate: Bool { attributes.contains(.internalDate) }

    public func render(sequenceNumber: Int, message: StoredMessage, flags: [IMAPFlag], contents: [UInt8]?,
                       receivedDate: Int64?, summary: IMAPMessageSummary? = nil) -> [UInt8] {
        var out: [UInt8] = []
        render(into: &out, sequenceNumber: sequenceNumber, message: message, flags: flags, contents: contents,
               receivedDate: receivedDate, summary: summary)
        return out
    }

    /// Appends the response to `out` (message bytes are copied once, straight into it).
    public func render(into out: inout [UInt8], sequenceNumber: Int, message: StoredMessage, flags: [IMAPFlag],
                       contents: [UInt8]?, receivedDate: Int64?, summary: IMAPMessageSummary? = nil) {
        out.append(contentsOf: "* \(sequenceNumber) FETCH (".utf8)
        var first = true
        func label(_ label: String) {
            if !first { out.append(0x20) }
            first = false
            out.append(contentsOf: label.utf8)
            out.append(0x20)
        }
        func item(_ name: String, _ value: [UInt8]) {
            label(name)
            out += value
        }
        /// A literal `{n}\r\n` and the bytes; NIL when there is nothing (a section that does not exist).
        func literal(_ name: String, _ bytes: ArraySlice<UInt8>?) {
            label(name)
            guard let bytes else { return out.append(contentsOf: "NIL".utf8) }
            out.append(contentsOf: "{\(bytes.count)}\r\n".utf8)
            out.append(contentsOf: bytes)
        }
        // Each form of the message is made only when an item needs it (BODY[] alone needs no parse).
        let crlf = contents.map(MIMEBytes.crlfNormalized)
        var parsed: MIMEMessage??
        func mimeValue() -> MIMEMessage? {
            if let parsed { return parsed }
            let made = crlf.map { MIMEMessage(bytes: $0) }
            parsed = .some(made)
            return made
        }
        var computedSummary = summary
        func summaryValue() -> IMAPMessageSummary? {
            if computedSummary == nil, let contents { computedSummary = IMAPMessageSummary(message: contents) }
            return computedSummary
        }
        if includeUID && !attributes.contains(.uid) { item("UID", Array("\(message.uid)".utf8)) }
        for attribute in attributes {
            switch attribute {
            case .uid:
                item("UID", Array("\(message.uid)".utf8))
            case .flags:
                item("FLAGS", Array(IMAPFlag.renderList(flags).utf8))
            case .internalDate:
                let date = IMAPDateTime(secondsSince1970: receivedDate ?? 0, zoneOffsetMinutes: 0)
                item("INTERNALDATE", Array(date.rendered.utf8))
            case .rfc822Size:
                let size = message.virtualSize.map(Int.init) ?? summary?.size ?? crlf?.count ?? Int(message.size)
                item("RFC822.SIZE", Array("\(size)".utf8))
            case .envelope:
                item("ENVELOPE", summaryValue()?.envelope ?? Array("NIL".utf8))
            case .bodyStructure:
                item("BODYSTRUCTURE", summaryValue()?.bodyStructure ?? Array("NIL".utf8))
            case .bodyStructureWithoutExtensions:
                item("BODY", summaryValue()?.body ?? Array("NIL".utf8))
            case .rfc822:
                literal("RFC822", crlf?[...])
            case .rfc822Header:
                literal("RFC822.HEADER", mimeValue()?.bytes(of: MessageSection(text: .header))?[...])
            case .rfc822Text:
                literal("RFC822.TEXT", mimeValue()?.bytes(of: MessageSection(text: .text))?[...])
            case let .body(section, partial, _) where section == .whole:
                literal(attribute.responseLabel, crlf.map { Self.slice($0, partial) })
            case let .body(section, partial, _):
                literal(attribute.responseLabel, mimeValue()?.bytes(of: section).map { Self.slice($0, partial) })
            case let .binary(part, partial, _):
                // Content-Transfer-Encoding is not decoded yet: the part as stored (BINARY is not advertised).
                literal(attribute.responseLabel, mimeValue()?.bytes(of: MessageSection(path: part)).map { Self.slice($0, partial) })
            case let .binarySize(part):
                item(attribute.responseLabel, Array("\(mimeValue()?.bytes(of: MessageSection(path: part))?.count ?? 0)".utf8))
            case .modSeq:
                item("MODSEQ", Array("(1)".utf8))
            }
        }
        out.append(contentsOf: ")\r\n".utf8)
    }

    /// `<origin.count>`: the octets from origin, at most count; empty past the end (RFC 3501 §6.4.5).
    static func slice(_ bytes: [UInt8], _ partial: IMAPPartial?) -> ArraySlice<UInt8> {
        guard let partial else { return bytes[...] }
        let start = min(Int(partial.origin), bytes.count)
        let end = min(start + Int(partial.count), bytes.count)
        return bytes[start..<end]
    }
}
