/// RFC 5322 address lists (groups, display names, quoted strings, comments, obsolete routes) parsed leniently into
/// ENVELOPE addresses the way Dovecot reads them; junk never stops the parse.
public enum AddressParser {
    /// Most addresses read from one header value; the rest is ignored (a hostile To: cannot grow without bound).
    public static let maximumAddresses = 10_000

    /// The addresses of one header value (To, Cc, From, ...).
    public static func parse(_ value: some Collection<UInt8>) -> [EnvelopeAddress] {
        var cursor = ByteCursor(value)
        var result: [EnvelopeAddress] = []
        var inGroup = false
        var sawSeparator = false
        while result.count < maximumAddresses {
            cursor.skipCFWS()
            guard let byte = cursor.current else { break }
            if byte == UInt8(ascii: ",") {
                cursor.advance()
                if sawSeparator { result.append(EnvelopeAddress(mailbox: EnvelopeAddress.missingMailbox, host: EnvelopeAddress.missingDomain)) }
                sawSeparator = true
                continue
            }
            if byte == UInt8(ascii: ";") {
                cursor.advance()
                if inGroup { result.append(.groupEnd); inGroup = false }
                sawSeparator = false
                continue
            }
            sawSeparator = false
            let start = cursor.position
            let (phrase, comment) = readPhrase(&cursor)
            switch cursor.current {
            case UInt8(ascii: ":") where !inGroup:
                cursor.advance()
                result.append(.groupStart(MIMEText.string(phrase)))
                inGroup = true
            case UInt8(ascii: "<"):
                cursor.advance()
                var address = readAngle(&cursor)
                address.name = phrase.isEmpty ? nil : MIMEText.string(phrase)
                result.append(address)
            case UInt8(ascii: "@"):
                cursor.advance()
                let (domain, trailing) = readDomain(&cursor)
                let name = trailing ?? comment
                result.append(EnvelopeAddress(name: name.map { MIMEText.string($0) },
                                              mailbox: phrase.isEmpty ? EnvelopeAddress.missingMailbox : MIMEText.string(phrase),
                                              host: domain.isEmpty ? EnvelopeAddress.missingDomain : MIMEText.string(domain)))
            default:
                if !phrase.isEmpty {
                    result.append(EnvelopeAddress(name: comment.map { MIMEText.string($0) }, mailbox: MIMEText.string(phrase),
                                                  host: EnvelopeAddress.missingDomain))
                }
                if cursor.position == start { cursor.advance() }
            }
        }
        if inGroup { result.append(.groupEnd) }
        return result
    }

    /// Words (atoms with dots, quoted strings) joined by single spaces where whitespace separated them.
    /// Also returns the last comment seen, which names a bare address.
    static func readPhrase(_ cursor: inout ByteCursor) -> (phrase: [UInt8], comment: [UInt8]?) {
        var phrase: [UInt8] = []
        var comment: [UInt8]?
        var needsSpace = false
        while let byte = cursor.current {
            var word: [UInt8]
            if byte == UInt8(ascii: "\"") {
                word = cursor.quotedString()
            } else if byte.isAtomByte {
                word = cursor.run { $0.isAtomByte }
            } else {
                break
            }
            if needsSpace { phrase.append(0x20) }
            phrase += word
            let before = cursor.position
            if let text = cursor.skipCFWS() { comment = text }
            needsSpace = cursor.position > before
        }
        return (phrase, comment)
    }

    /// After "<": an optional route (`@a,@b:`), then local@domain, then ">".
    static func readAngle(_ cursor: inout ByteCursor) -> EnvelopeAddress {
        cursor.skipCFWS()
        var route: [UInt8] = []
        if cursor.current == UInt8(ascii: "@") {
            let routeStart = cursor.position
            while let byte = cursor.current, byte != UInt8(ascii: ":"), byte != UInt8(ascii: ">") { cursor.advance() }
            if cursor.current == UInt8(ascii: ":") {
                route = cursor.bytes[routeStart..<cursor.position].filter { !$0.isMIMEWhitespace }
                cursor.advance()
            } else {
                cursor.position = routeStart
            }
        }
        cursor.skipCFWS()
        let (local, _) = readPhrase(&cursor)
        var domain: [UInt8] = []
        if cursor.take(UInt8(ascii: "@")) { domain = readDomain(&cursor).domain }
        while let byte = cursor.current, byte != UInt8(ascii: ">") {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") { break }
            cursor.advance()
        }
        _ = cursor.take(UInt8(ascii: ">"))
        return EnvelopeAddress(adl: route.isEmpty ? nil : MIMEText.string(route),
                               mailbox: local.isEmpty ? EnvelopeAddress.missingMailbox : MIMEText.string(local),
                               host: domain.isEmpty ? EnvelopeAddress.missingDomain : MIMEText.string(domain))
    }

    /// A dot-atom or domain literal, and a comment following it (the name of `user@host (Name)`).
    static func readDomain(_ cursor: inout ByteCursor) -> (domain: [UInt8], comment: [UInt8]?) {
        cursor.skipCFWS()
        var domain: [UInt8] = []
        var comment: [UInt8]?
        if cursor.current == UInt8(ascii: "[") {
            while let byte = cursor.current {
                cursor.advance()
                if !byte.isMIMEWhitespace { domain.append(byte) }
                if byte == UInt8(ascii: "]") { break }
            }
        } else {
            while let byte = cursor.current, byte.isAtomByte {
                domain += cursor.run { $0.isAtomByte }
                if let text = cursor.skipCFWS() { comment = text }
            }
        }
        if let text = cursor.skipCFWS() { comment = text }
        return (domain, comment)
    }
}
