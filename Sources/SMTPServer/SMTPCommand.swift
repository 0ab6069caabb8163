/// The body type of MAIL FROM's BODY= parameter (RFC 6152 8BITMIME, RFC 3030 BINARYMIME).
public enum SMTPBodyType: String, Hashable, Sendable {
    case sevenBit = "7BIT"
    case eightBitMIME = "8BITMIME"
    case binaryMIME = "BINARYMIME"
}

/// The parameters Shoal accepts on MAIL FROM.
public struct SMTPMailParameters: Hashable, Sendable {
    /// SIZE= (RFC 1870), the client's estimate in octets.
    public var size: Int?
    /// BODY= (RFC 6152, RFC 3030); nil when absent (7BIT).
    public var body: SMTPBodyType?
    /// SMTPUTF8 (RFC 6531).
    public var smtputf8: Bool
    /// AUTH= (RFC 4954 §5), xtext as sent; `<>` when the client does not vouch for the sender.
    public var auth: String?

    public init(size: Int? = nil, body: SMTPBodyType? = nil, smtputf8: Bool = false, auth: String? = nil) {
        self.size = size
        self.body = body
        self.smtputf8 = smtputf8
        self.auth = auth
    }
}

/// One parsed SMTP/LMTP command line.
///
/// Verbs are ASCII and case-insensitive. Parsing checks syntax only (paths, parameters, arguments); whether
/// the command is allowed now, or offered at all, is the session's business.
public enum SMTPCommand: Hashable, Sendable {
    case helo(String)
    case ehlo(String)
    case lhlo(String)
    /// MAIL FROM; `reversePath` nil is the null path `<>`.
    case mail(reversePath: SMTPMailbox?, parameters: SMTPMailParameters)
    case rcpt(forwardPath: SMTPMailbox)
    case data
    case bdat(size: Int, last: Bool)
    case rset
    case noop
    case quit
    case help(String?)
    case vrfy(String)
    case starttls
    /// AUTH; the initial response as sent (base64, or `=` for an empty one), nil when absent.
    case auth(mechanism: String, initialResponse: String?)
    /// A command known to SMTP but not implemented here (EXPN, TURN, ETRN, ...): 502.
    case notImplemented(String)

    /// Why a line is not a valid command, as the reply to send.
    public struct ParseError: Error, Hashable, Sendable {
        public var reply: SMTPReply
        public init(_ reply: SMTPReply) { self.reply = reply }
    }

    /// Parses one command line (without CR LF).
    ///
    /// - Parameter utf8Addresses: RCPT may use non-ASCII addresses (the transaction's MAIL had SMTPUTF8).
    ///   MAIL allows them by itself when it carries SMTPUTF8.
    /// - Throws: the precise reply: 500 5.5.2 unknown verb, 501 5.5.4 bad arguments, 501 5.1.7 / 5.1.3 bad
    ///   sender / recipient syntax, 553 5.6.7 non-ASCII address without SMTPUTF8, 555 5.5.4 unknown parameter.
    public static func parse(_ line: some Collection<UInt8>, utf8Addresses: Bool = false) throws(ParseError) -> SMTPCommand {
        let bytes = Array(line)
        var verbEnd = 0
        while verbEnd < bytes.count, bytes[verbEnd] != UInt8(ascii: " ") { verbEnd += 1 }
        let verbBytes = bytes[..<verbEnd]
        guard !verbBytes.isEmpty, verbBytes.count <= 10, verbBytes.allSatisfy(isASCIILetter) else {
            throw ParseError(.commandUnrecognized)
        }
        let verb = String(decoding: verbBytes.map { $0 & ~0x20 }, as: UTF8.self)  // ASCII upper case
        var argumentStart = verbEnd
        while argumentStart < bytes.count, bytes[argumentStart] == UInt8(ascii: " ") { argumentStart += 1 }
        var argumentEnd = bytes.count
        while argumentEnd > argumentStart, bytes[argumentEnd - 1] == UInt8(ascii: " ") || bytes[argumentEnd - 1] == UInt8(ascii: "\t") {
            argumentEnd -= 1
        }
        let trimmed = bytes[argumentStart..<argumentEnd]
        let argumentText = validUTF8(trimmed)

        func argument(_ invalid: SMTPReply) throws(ParseError) -> Substring {
            guard let argumentText else { throw ParseError(invalid) }
            return Substring(argumentText)
        }
        func noArguments() throws(ParseError) {
            guard trimmed.isEmpty else { throw ParseError(.noParametersAllowed) }
        }
        func hostname(_ usage: String) throws(ParseError) -> String {
            let text = try argument(.syntax(usage))
            guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F || $0 == " " })
            else { throw ParseError(.syntax(usage)) }
            return String(text)
        }

        switch verb {
        case "HELO": return .helo(try hostname("HELO hostname"))
        case "EHLO": return .ehlo(try hostname("EHLO hostname"))
        case "LHLO": return .lhlo(try hostname("LHLO hostname"))
        case "MAIL": return try parseMail(try argument(.badSenderSyntax))
        case "RCPT": return try parseRcpt(try argument(.badRecipientSyntax), utf8Addresses: utf8Addresses)
        case "DATA":
            try noArguments()
            return .data
        case "BDAT": return try parseBDAT(try argument(.syntax("BDAT size [LAST]")))
        case "RSET":
            try noArguments()
            return .rset
        case "NOOP": return .noop
        case "QUIT":
            try noArguments()
            return .quit
        case "HELP":
            let topic = try argument(.syntax("HELP [topic]"))
            return .help(topic.isEmpty ? nil : String(topic))
        case "VRFY":
            let text = try argument(.syntax("VRFY address"))
            guard !text.isEmpty else { throw ParseError(.syntax("VRFY address")) }
            return .vrfy(String(text))
        case "STARTTLS":
            try noArguments()
            return .starttls
        case "AUTH":
            let usage = SMTPReply.syntax("AUTH mechanism [initial-response]")
            let words = try argument(usage).split(separator: " ")
            guard words.count == 1 || words.count == 2, words[0].utf8.allSatisfy(isMechanismChar) else {
                throw ParseError(usage)
            }
            return .auth(mechanism: words[0].uppercased(), initialResponse: words.count == 2 ? String(words[1]) : nil)
        case "EXPN", "TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML", "VERB":
            return .notImplemented(verb)
        default:
            throw ParseError(.commandUnrecognized)
        }
    }

    static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    /// SASL mechanism names: upper-case letters, digits, `-` and `_` (RFC 4422 §3.1), any case accepted.
    static func isMechanismChar(_ byte: UInt8) -> Bool {
        isASCIILetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// Splits `FROM:<path> params` after its keyword into the path inside the brackets and the parameter text.
    private static func splitPath(_ text: Substring, keyword: String, error: SMTPReply) throws(ParseError) -> (path: Substring, parameters: Substring) {
        guard text.utf8.count >= keyword.utf8.count, text.prefix(keyword.count).uppercased() == keyword else {
            throw ParseError(error)
        }
        let afterKeyword = text.dropFirst(keyword.count).drop { $0 == " " }
        guard afterKeyword.hasPrefix("<") else { throw ParseError(error) }
        // Find the closing '>' outside a quoted string.
        var index = afterKeyword.index(after: afterKeyword.startIndex)
        var quoted = false
        while index < afterKeyword.endIndex {
            let char = afterKeyword[index]
            if quoted && char == "\\" {
                index = afterKeyword.index(after: index)
                guard index < afterKeyword.endIndex else { break }
            } else if char == "\"" {
                quoted.toggle()
            } else if char == ">" && !quoted {
                let path = afterKeyword[afterKeyword.index(after: afterKeyword.startIndex)..<index]
                let rest = afterKeyword[afterKeyword.index(after: index)...]
                guard rest.isEmpty || rest.hasPrefix(" ") else { throw ParseError(error) }
                return (path, rest.drop { $0 == " " })
            }
            index = afterKeyword.index(after: index)
        }
        throw ParseError(error)
    }

    /// `keyword[=value]` pairs (RFC 5321 §4.1.2 esmtp-param), keyword upper-cased.
    private static func parseParameters(_ text: Substring) throws(ParseError) -> [(name: String, value: String?)] {
        var out: [(String, String?)] = []
        for word in text.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let keyword = parts[0]
            guard let first = keyword.utf8.first, first < 0x80, isASCIILetter(first) || (48...57).contains(first),
                  keyword.utf8.allSatisfy({ $0 < 0x80 && (isASCIILetter($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-")) })
            else { throw ParseError(SMTPReply(501, SMTPReply.esc(5, 5, 4), "Bad parameter syntax")) }
            var value: String?
            if parts.count == 2 {
                guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: "=") })
                else { throw ParseError(.badParameter(keyword.uppercased())) }
                value = String(parts[1])
            }
            out.append((keyword.uppercased(), value))
        }
        return out
    }

    private static func parseMail(_ text: Substring) throws(ParseError) -> SMTPCommand {
        let usage = SMTPReply.syntax("MAIL FROM:<address>")
        let (pathText, parameterText) = try splitPath(text, keyword: "FROM:", error: usage)
        var parameters = SMTPMailParameters()
        var seen: Set<String> = []
        for (name, value) in try parseParameters(parameterText) {
            guard seen.insert(name).inserted else { throw ParseError(.duplicateParameter(name)) }
            switch name {
            case "SIZE":
                guard let value, value.utf8.count <= 18, value.utf8.allSatisfy({ (48...57).contains($0) }), let size = Int(value)
                else { throw ParseError(.badParameter("SIZE")) }
                parameters.size = size
            case "BODY":
                guard let value, let body = SMTPBodyType(rawValue: value.uppercased()) else {
                    throw ParseError(.badParameter("BODY"))
                }
                parameters.body = body
            case "SMTPUTF8":
                guard value == nil else { throw ParseError(.badParameter("SMTPUTF8")) }
                parameters.smtputf8 = true
            case "AUTH":
                guard let value else { throw ParseError(.badParameter("AUTH")) }
                parameters.auth = value
            default:
                throw ParseError(.unsupportedParameter(name))
            }
        }
        do throws(SMTPMailbox.ParseError) {
            let path = try SMTPMailbox.parsePath(pathText, allowUTF8: parameters.smtputf8, allowPostmaster: false)
            return .mail(reversePath: path, parameters: parameters)
        } catch .needsSMTPUTF8 {
            throw ParseError(.utf8AddressNeedsSMTPUTF8)
        } catch {
            throw ParseError(.badSenderSyntax)
        }
    }

    private static func parseRcpt(_ text: Substring, utf8Addresses: Bool) throws(ParseError) -> SMTPCommand {
        let (pathText, parameterText) = try splitPath(text, keyword: "TO:", error: .syntax("RCPT TO:<address>"))
        if let (name, _) = try parseParameters(parameterText).first {
            throw ParseError(.unsupportedParameter(name))
        }
        let path: SMTPMailbox?
        do throws(SMTPMailbox.ParseError) {
            path = try SMTPMailbox.parsePath(pathText, allowUTF8: utf8Addresses, allowPostmaster: true)
        } catch .needsSMTPUTF8 {
            throw ParseError(.utf8AddressNeedsSMTPUTF8)
        } catch {
            throw ParseError(.badRecipientSyntax)
        }
        guard let path else { throw ParseError(.badRecipientSyntax) }  // RCPT TO:<> is not a recipient
        return .rcpt(forwardPath: path)
    }

    private static func parseBDAT(_ text: Substring) throws(ParseError) -> SMTPCommand {
        let usage = SMTPReply.syntax("BDAT size [LAST]")
        let words = text.split(separator: " ")
        guard words.count == 1 || (words.count == 2 && words[1].uppercased() == "LAST"),
              let size = bdatSize(words[0]) else { throw ParseError(usage) }
        return .bdat(size: size, last: words.count == 2)
    }

    /// chunk-size = 1*DIGIT, at most 18 digits so it fits an Int.
    static func bdatSize(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(text)
    }
}

/// The bytes as a String when they are well-formed UTF-8 (no replacement characters), else nil.
/// (`String(validating:as:)` needs macOS 15; the package supports macOS 14.)
func validUTF8(_ bytes: some Sequence<UInt8>) -> String? {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var scalars = String.UnicodeScalarView()
    while true {
        switch decoder.decode(&iterator) {
        case let .scalarValue(scalar): scalars.append(scalar)
        case .emptyInput: return String(scalars)
        case .error: return nil
        }
    }
}
