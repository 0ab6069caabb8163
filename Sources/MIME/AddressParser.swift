/// RFC 5322 address lists (groups, display names, quoted strings, comments, obsolete routes) parsed into ENVELOPE
/// addresses the way Dovecot 2.3 reads them: missing parts become MISSING_MAILBOX / MISSING_DOMAIN, an unclosed
/// `<` gives SYNTAX_ERROR, and parsing stops at the first address not followed by "," (never at a trap).
public enum AddressParser {
    /// Most addresses read from one header value; the rest is ignored (a hostile To: cannot grow without bound).
    public static let maximumAddresses = 10_000

    /// The addresses of one header value (To, Cc, From, ...).
    public static func parse(_ value: some Collection<UInt8>) -> [EnvelopeAddress] {
        var cursor = ByteCursor(value)
        var result: [EnvelopeAddress] = []
        while result.count < maximumAddresses {
            cursor.skipCFWS()
            guard let byte = cursor.current else { break }
            if byte == UInt8(ascii: ",") {
                cursor.advance()
                result.append(.invalid())
                continue
            }
            guard address(&cursor, into: &result) else { break }
            cursor.skipCFWS()
            guard cursor.take(UInt8(ascii: ",")) else { break }
        }
        return Array(result.prefix(maximumAddresses))
    }

    /// One address or group; false when the syntax broke and parsing must stop.
    private static func address(_ cursor: inout ByteCursor, into result: inout [EnvelopeAddress]) -> Bool {
        let start = cursor.position
        let words = readWords(&cursor)
        guard cursor.current == UInt8(ascii: ":") else {
            cursor.position = start
            return mailbox(&cursor, into: &result)
        }
        cursor.advance()
        result.append(.groupStart(HeaderText(join(words))))
        defer { result.append(.groupEnd) }
        while result.count < maximumAddresses {
            cursor.skipCFWS()
            guard let byte = cursor.current else { return true }
            if byte == UInt8(ascii: ";") { cursor.advance(); return true }
            if byte == UInt8(ascii: ",") { cursor.advance(); continue }
            guard mailbox(&cursor, into: &result) else { return false }
            cursor.skipCFWS()
            if cursor.take(UInt8(ascii: ";")) { return true }
            guard cursor.take(UInt8(ascii: ",")) else { return !cursor.isAtEnd ? false : true }
        }
        return false
    }

    /// One mailbox: `name <route:local@domain>`, `local@domain (comment)`, or what Dovecot makes of less.
    private static func mailbox(_ cursor: inout ByteCursor, into result: inout [EnvelopeAddress]) -> Bool {
        let start = cursor.position
        let (words, complete) = readWordsChecked(&cursor)
        let phrase = join(words)
        // Without "<", the words are a local part: a dot-atom, where whitespace may surround dots.
        let local = dotJoin(words)
        guard complete else {
            // An unclosed quoted string stops the list. Dovecot then reads a leading atom as a local part without
            // domain, and a leading quoted string as a name without address.
            let firstIsAtom = cursor.bytes.indices.contains(start) && cursor.bytes[start].isAtomByte
            if words.count == 1 && firstIsAtom {
                result.append(EnvelopeAddress(mailbox: HeaderText(phrase), host: EnvelopeAddress.missingDomain))
            } else {
                result.append(.invalid(name: phrase.isEmpty ? nil : HeaderText(phrase)))
            }
            return false
        }
        switch cursor.current {
        case UInt8(ascii: "<"):
            // An unclosed "<" gives SYNTAX_ERROR; the list goes on if a "," follows.
            var (address, _) = angle(&cursor)
            address.name = phrase.isEmpty ? nil : HeaderText(phrase)
            result.append(address)
            return true
        case UInt8(ascii: "@") where local.count <= 1:
            cursor.advance()
            let (domain, comment) = readDomain(&cursor)
            result.append(EnvelopeAddress(name: comment.map { HeaderText($0) },
                                          mailbox: local.isEmpty ? EnvelopeAddress.missingMailbox : HeaderText(local[0]),
                                          host: domain.map { HeaderText($0) } ?? EnvelopeAddress.missingDomain))
            return true
        case UInt8(ascii: "@"):
            cursor.advance()
            _ = readDomain(&cursor)
            result.append(.invalid(name: HeaderText(phrase)))
            return true
        default:
            if local.count == 1 {
                result.append(EnvelopeAddress(mailbox: HeaderText(local[0]), host: EnvelopeAddress.missingDomain))
            } else if words.count > 1 {
                result.append(.invalid(name: HeaderText(phrase)))
            } else {
                // Junk where an address should start: an empty address, and the list stops.
                result.append(.invalid())
                return false
            }
            return true
        }
    }

    /// Words of a phrase or local part: atoms (dots included) and quoted strings, comments skipped.
    private static func readWords(_ cursor: inout ByteCursor) -> [[UInt8]] { readWordsChecked(&cursor).words }

    /// The same, and false when a quoted string is not closed (the words before it are returned).
    private static func readWordsChecked(_ cursor: inout ByteCursor) -> (words: [[UInt8]], complete: Bool) {
        var words: [[UInt8]] = []
        cursor.skipCFWS()
        while let byte = cursor.current {
            if byte == UInt8(ascii: "\"") {
                let (text, terminated) = cursor.quotedStringIfTerminated()
                guard terminated else { return (words, false) }
                words.append(text)
            } else if byte.isAtomByte {
                words.append(cursor.run { $0.isAtomByte })
            } else {
                break
            }
            cursor.skipCFWS()
        }
        return (words, true)
    }

    /// Words glued where a dot meets a word (`a .b` is `a.b`): the space-separated pieces that remain.
    private static func dotJoin(_ words: [[UInt8]]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        for word in words {
            if let last = pieces.last, last.last == UInt8(ascii: ".") || word.first == UInt8(ascii: ".") {
                pieces[pieces.count - 1] += word
            } else {
                pieces.append(word)
            }
        }
        return pieces
    }

    private static func join(_ words: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, word) in words.enumerated() {
            if index > 0 { out.append(0x20) }
            out += word
        }
        return out
    }

    /// From "<": an optional route (`@a,@b:`), local@domain and ">"; false as second value when ">" is missing.
    private static func angle(_ cursor: inout ByteCursor) -> (EnvelopeAddress, Bool) {
        cursor.advance()
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
        let local = join(readWords(&cursor))
        var domain: [UInt8]?
        var hasDomain = false
        if cursor.take(UInt8(ascii: "@")) {
            hasDomain = true
            domain = readDomain(&cursor).domain
        }
        cursor.skipCFWS()
        let closed = cursor.take(UInt8(ascii: ">"))
        let host: HeaderText
        if !closed {
            host = EnvelopeAddress.syntaxError
        } else if hasDomain, let domain {
            host = HeaderText(domain)
        } else {
            host = EnvelopeAddress.missingDomain
        }
        return (EnvelopeAddress(adl: route.isEmpty ? nil : HeaderText(route),
                                mailbox: local.isEmpty ? EnvelopeAddress.missingMailbox : HeaderText(local),
                                host: host), closed)
    }

    /// A dot-atom or domain literal (nil when empty or with an empty label), and the last comment in or after it
    /// (the name of `user@host (Name)`).
    private static func readDomain(_ cursor: inout ByteCursor) -> (domain: [UInt8]?, comment: [UInt8]?) {
        var comment = cursor.skipCFWS()
        var domain: [UInt8] = []
        if cursor.current == UInt8(ascii: "[") {
            while let byte = cursor.current {
                cursor.advance()
                if !byte.isMIMEWhitespace { domain.append(byte) }
                if byte == UInt8(ascii: "]") { break }
            }
        } else {
            // A dot-atom: whitespace may only surround dots (RFC 822 folding).
            while let byte = cursor.current, byte.isAtomByte {
                domain += cursor.run { $0.isAtomByte }
                if let text = cursor.skipCFWS() { comment = text }
                guard domain.last == UInt8(ascii: ".") || cursor.current == UInt8(ascii: ".") else { break }
            }
        }
        if let text = cursor.skipCFWS() { comment = text }
        // An unclosed comment breaks the domain (and names nothing), as in Dovecot.
        if cursor.sawUnterminatedComment { return (nil, nil) }
        let valid = !domain.isEmpty && domain.first != UInt8(ascii: ".") && domain.last != UInt8(ascii: ".")
        return (valid ? domain : nil, comment)
    }
}
