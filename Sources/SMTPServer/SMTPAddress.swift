import ShoalCore

/// A mailbox from a MAIL or RCPT path, checked against RFC 5321 §4.1.2 (and RFC 6531 when UTF-8 is allowed).
///
/// A source route (`<@a,@b:user@d>`) is accepted and dropped, as RFC 5321 §4.1.2 and Appendix C require.
/// `localPart` keeps the spelling the client used, quotes included; `domain` is a domain name or an address
/// literal such as `[192.0.2.1]` or `[IPv6:2001:db8::1]`. The special recipient `<Postmaster>` has an empty domain.
public struct SMTPMailbox: Hashable, Sendable, CustomStringConvertible {
    public var localPart: String
    public var domain: String

    public init(localPart: String, domain: String) {
        self.localPart = localPart
        self.domain = domain
    }

    /// `local@domain`, or just the local part for the domainless `Postmaster`.
    public var address: String { domain.isEmpty ? localPart : "\(localPart)@\(domain)" }
    public var description: String { address }

    /// True for the domainless `<Postmaster>` recipient (RFC 5321 §4.1.1.3), in any case.
    public var isPostmaster: Bool { domain.isEmpty && localPart.lowercased() == "postmaster" }
    /// True when the domain is an address literal.
    public var isAddressLiteral: Bool { domain.hasPrefix("[") }
    /// True when the address contains non-ASCII characters (needs SMTPUTF8).
    public var isInternationalized: Bool { !address.utf8.allSatisfy { $0 < 0x80 } }

    /// Why a path was refused.
    public enum ParseError: Error, Hashable, Sendable {
        /// Not a path at all, or not RFC 5321 syntax.
        case syntax
        /// Valid only with SMTPUTF8, which was not given.
        case needsSMTPUTF8
    }

    /// Limits of RFC 5321 §4.5.3.1.
    static let maximumLocalPartLength = 64
    static let maximumDomainLength = 255
    static let maximumPathLength = 256

    /// Parses the inside of `<...>` (without the brackets); nil for the null path `<>`.
    /// - Parameters:
    ///   - allowUTF8: accept RFC 6531 non-ASCII local parts and U-labels.
    ///   - allowPostmaster: accept the domainless `Postmaster` (RCPT only).
    static func parsePath(_ text: Substring, allowUTF8: Bool, allowPostmaster: Bool) throws(ParseError) -> SMTPMailbox? {
        if text.isEmpty { return nil }
        guard text.utf8.count <= maximumPathLength + 2 else { throw .syntax }
        var rest = text
        if rest.hasPrefix("@") {
            // A-d-l ":" — validate each at-domain, then drop the route.
            guard let colon = rest.firstIndex(of: ":") else { throw .syntax }
            for hop in rest[..<colon].split(separator: ",", omittingEmptySubsequences: false) {
                guard hop.hasPrefix("@") else { throw .syntax }
                try checkDomain(hop.dropFirst(), allowUTF8: allowUTF8)
            }
            rest = rest[rest.index(after: colon)...]
        }
        if allowPostmaster, !rest.contains("@"), rest.lowercased() == "postmaster" {
            return SMTPMailbox(localPart: String(rest), domain: "")
        }
        guard let at = localPartEnd(rest) else { throw .syntax }
        let local = rest[..<at]
        let domain = rest[rest.index(after: at)...]
        try checkLocalPart(local, allowUTF8: allowUTF8)
        if domain.hasPrefix("[") {
            guard isAddressLiteral(domain) else { throw .syntax }
        } else {
            try checkDomain(domain, allowUTF8: allowUTF8)
        }
        let mailbox = SMTPMailbox(localPart: String(local), domain: String(domain))
        guard mailbox.address.utf8.count <= maximumPathLength - 2 else { throw .syntax }
        return mailbox
    }

    /// The index of the `@` ending the local part (skipping a quoted string).
    private static func localPartEnd(_ text: Substring) -> Substring.Index? {
        if text.hasPrefix("\"") {
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                let char = text[index]
                if char == "\\" {
                    index = text.index(after: index)
                    guard index < text.endIndex else { return nil }
                } else if char == "\"" {
                    let after = text.index(after: index)
                    return after < text.endIndex && text[after] == "@" ? after : nil
                }
                index = text.index(after: index)
            }
            return nil
        }
        return text.lastIndex(of: "@")
    }

    /// atext of RFC 5322 §3.2.3.
    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }

    static func checkLocalPart(_ local: Substring, allowUTF8: Bool) throws(ParseError) {
        let bytes = Array(local.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLocalPartLength else { throw .syntax }
        var needsUTF8 = false
        if bytes[0] == UInt8(ascii: "\"") {
            // Quoted-string: qtextSMTP = %d32-33 / %d35-91 / %d93-126, quoted-pairSMTP = "\" %d32-126.
            guard bytes.count >= 2, bytes[bytes.count - 1] == UInt8(ascii: "\"") else { throw .syntax }
            var index = 1
            while index < bytes.count - 1 {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count - 1, (32...126).contains(bytes[index + 1]) else { throw .syntax }
                    index += 2
                    continue
                }
                if byte >= 0x80 {
                    needsUTF8 = true
                } else if !(byte == 32 || byte == 33 || (35...91).contains(byte) || (93...126).contains(byte)) {
                    throw .syntax
                }
                index += 1
            }
        } else {
            // Dot-string: Atom *("." Atom).
            var atomLength = 0
            for byte in bytes {
                if byte == UInt8(ascii: ".") {
                    guard atomLength > 0 else { throw .syntax }
                    atomLength = 0
                } else if byte >= 0x80 {
                    needsUTF8 = true
                    atomLength += 1
                } else if isAtext(byte) {
                    atomLength += 1
                } else {
                    throw .syntax
                }
            }
            guard atomLength > 0 else { throw .syntax }
        }
        if needsUTF8 && !allowUTF8 { throw .needsSMTPUTF8 }
    }

    /// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (or a U-label with UTF-8).
    static func checkDomain(_ domain: Substring, allowUTF8: Bool) throws(ParseError) {
        let bytes = Array(domain.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumDomainLength else { throw .syntax }
        var needsUTF8 = false
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63 else { throw .syntax }
            func isLetDig(_ byte: UInt8) -> Bool {
                if byte >= 0x80 { needsUTF8 = true; return true }
                return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            }
            guard isLetDig(label.first!), isLetDig(label.last!) else { throw .syntax }
            for byte in label where !(isLetDig(byte) || byte == UInt8(ascii: "-")) { throw .syntax }
        }
        if needsUTF8 && !allowUTF8 { throw .needsSMTPUTF8 }
    }

    /// `[a.b.c.d]` or `[IPv6:...]` (RFC 5321 §4.1.3); general address literals are not accepted.
    static func isAddressLiteral(_ text: Substring) -> Bool {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.count > 2 else { return false }
        let inner = text.dropFirst().dropLast()
        if inner.prefix(5).lowercased() == "ipv6:" {
            guard case .v6 = IPAddress(inner.dropFirst(5)) else { return false }
            return true
        }
        guard case .v4 = IPAddress(inner) else { return false }
        return true
    }
}
