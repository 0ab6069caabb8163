extension MIMEMessage {
    /// FETCH BODYSTRUCTURE (`extended`, the default) or BODY: the parenthesized list RFC 3501 §7.4.2 describes,
    /// written as Dovecot 2.3 writes it (sizes count every line break as CR LF).
    public func bodyStructure(extended: Bool = true) -> [UInt8] {
        // Dovecot answers BODY of a plain 7-bit text message from its cache, in canonical case.
        if !extended, isPlain7Bit {
            return Array(#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" \#(root.bodySize) \#(root.bodyLines))"#.utf8)
        }
        return bodyStructure(ofPart: 0, extended: extended)
    }

    /// Dovecot's message_part_data_is_plain_7bit: a single text/plain part, charset us-ascii at most, 7bit, and no
    /// Content-ID, -Description, -MD5, -Disposition, -Language or -Location.
    var isPlain7Bit: Bool {
        let part = root
        guard part.kind == .leaf, part.contentType.isText, !part.contentType.isExplicit || part.contentType.subtype.equalsIgnoringCase("plain")
        else { return false }
        let parameters = part.contentType.parameters
        if let first = parameters.first, !(first.name.equalsIgnoringCase("charset") && first.value.equalsIgnoringCase("us-ascii")) {
            return false
        }
        if part.contentID != nil || part.contentDescription != nil || part.contentMD5 != nil || part.disposition != nil
            || part.languages != nil || part.contentLocation != nil {
            return false
        }
        if let encoding = part.transferEncoding, !encoding.equalsIgnoringCase("7bit") { return false }
        return true
    }

    /// The BODYSTRUCTURE (or BODY) of one part, as in a message/rfc822 part's nested structure.
    public func bodyStructure(ofPart index: Int, extended: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        guard parts.indices.contains(index) else { return out }
        out.append(UInt8(ascii: "("))
        write(part: index, extended: extended, to: &out)
        out.append(UInt8(ascii: ")"))
        return out
    }

    static let emptyBody = Array(#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)"#.utf8)
    static let emptyBodyStructure = Array(#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)"#.utf8)

    /// One part without its enclosing parentheses. Recursion is as deep as the tree: at most ``MIMELimits/maximumDepth``.
    private func write(part index: Int, extended: Bool, to out: inout [UInt8]) {
        let part = parts[index]
        if part.kind == .multipart {
            if part.children.isEmpty {
                out += extended ? Self.emptyBodyStructure : Self.emptyBody
            }
            for child in part.children {
                out.append(UInt8(ascii: "("))
                write(part: child, extended: extended, to: &out)
                out.append(UInt8(ascii: ")"))
            }
            out.append(0x20)
            IMAPString.append(part.contentType.subtype.bytes, to: &out)
            guard extended else { return }
            out.append(0x20)
            Self.write(part.contentType.parameters, defaultCharset: false, to: &out)
            writeCommonExtension(part, to: &out)
            return
        }
        let type = part.contentType
        let isMessage = part.kind == .message || type.isMessageRFC822
        let isText: Bool
        if isMessage {
            out += Array(#""message" "rfc822""#.utf8)
            isText = false
        } else if !type.isExplicit {
            out += Array(#""text" "plain""#.utf8)
            isText = true
        } else {
            IMAPString.append(type.type.bytes, to: &out)
            out.append(0x20)
            IMAPString.append(type.subtype.bytes, to: &out)
            isText = type.isText
        }
        out.append(0x20)
        Self.write(type.parameters, defaultCharset: isText, to: &out)
        out.append(0x20)
        IMAPString.appendUnfolded(part.contentID?.bytes, to: &out)
        out.append(0x20)
        IMAPString.appendUnfolded(part.contentDescription?.bytes, to: &out)
        out.append(0x20)
        if let encoding = part.transferEncoding { IMAPString.append(encoding.bytes, to: &out) } else { out += Array(#""7bit""#.utf8) }
        out += Array(" \(part.bodySize)".utf8)
        if isText {
            out += Array(" \(part.bodyLines)".utf8)
        } else if isMessage {
            out += Array(" (".utf8)
            if part.kind == .message, let inner = part.children.first {
                Envelope(header: parts[inner].header).write(to: &out)
                out += Array(") (".utf8)
                write(part: inner, extended: extended, to: &out)
                out.append(UInt8(ascii: ")"))
            } else {
                // A message/rfc822 past the depth or part limit: an empty envelope and body keep the syntax valid.
                Envelope.empty.write(to: &out)
                out += Array(") ".utf8)
                out += extended ? Self.emptyBodyStructure : Self.emptyBody
            }
            out += Array(" \(part.bodyLines)".utf8)
        }
        guard extended else { return }
        out.append(0x20)
        IMAPString.appendUnfolded(part.contentMD5?.bytes, to: &out)
        writeCommonExtension(part, to: &out)
    }

    /// Disposition, language and location.
    private func writeCommonExtension(_ part: MessagePart, to out: inout [UInt8]) {
        out.append(0x20)
        if let disposition = part.disposition {
            out.append(UInt8(ascii: "("))
            IMAPString.append(disposition.type.bytes, to: &out)
            out.append(0x20)
            Self.write(disposition.parameters, defaultCharset: false, to: &out)
            out.append(UInt8(ascii: ")"))
        } else {
            out += Array("NIL".utf8)
        }
        out.append(0x20)
        if let languages = part.languages {
            out.append(UInt8(ascii: "("))
            for (position, language) in languages.enumerated() {
                if position > 0 { out.append(0x20) }
                IMAPString.append(language.bytes, to: &out)
            }
            out.append(UInt8(ascii: ")"))
        } else {
            out += Array("NIL".utf8)
        }
        out.append(0x20)
        IMAPString.appendUnfolded(part.contentLocation?.bytes, to: &out)
    }

    /// A parameter list, NIL when empty; text parts get `"charset" "us-ascii"` when they name no charset.
    private static func write(_ parameters: [MIMEParameter], defaultCharset: Bool, to out: inout [UInt8]) {
        if parameters.isEmpty && !defaultCharset {
            out += Array("NIL".utf8)
            return
        }
        out.append(UInt8(ascii: "("))
        var sawCharset = false
        for (position, parameter) in parameters.enumerated() {
            if position > 0 { out.append(0x20) }
            if parameter.name.equalsIgnoringCase("charset") { sawCharset = true }
            IMAPString.append(parameter.name.bytes, to: &out)
            out.append(0x20)
            IMAPString.append(parameter.value.bytes, to: &out)
        }
        if defaultCharset && !sawCharset {
            if !parameters.isEmpty { out.append(0x20) }
            out += Array(#""charset" "us-ascii""#.utf8)
        }
        out.append(UInt8(ascii: ")"))
    }
}
