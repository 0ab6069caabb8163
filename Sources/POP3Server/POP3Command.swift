/// One POP3 command line (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH), parsed.
public enum POP3Command: Hashable, Sendable {
    case user(String)
    case pass(String)
    case auth(mechanism: String?, initialResponse: String?)
    case capa
    case stls
    case stat
    case list(Int?)
    case uidl(Int?)
    case retr(Int)
    case top(Int, lines: Int)
    case dele(Int)
    case noop
    case rset
    case quit

    /// Why a line is not a command.
    public enum ParseError: Error, Hashable, Sendable {
        case unknownCommand(String)
        /// The keyword is known, its arguments are not right; the text says what is expected.
        case badArguments(keyword: String, expected: String)
    }

    /// Longest argument RFC 1939 §3 allows (40 octets); PASS and AUTH responses may be longer (RFC 2449 §4).
    static let maximumArgumentLength = 40

    /// Parses one line (without CR LF). Keywords are case-insensitive; arguments are separated by one space.
    public static func parse(_ line: some StringProtocol) -> Result<POP3Command, ParseError> {
        let text = String(line)
        let keywordEnd = text.firstIndex(of: " ") ?? text.endIndex
        let keyword = text[..<keywordEnd].uppercased()
        let rest = keywordEnd < text.endIndex ? String(text[text.index(after: keywordEnd)...]) : ""
        let arguments = rest.isEmpty ? [] : rest.split(separator: " ", omittingEmptySubsequences: false).map(String.init)

        func bad(_ expected: String) -> Result<POP3Command, ParseError> { .failure(.badArguments(keyword: keyword, expected: expected)) }
        func none(_ command: POP3Command) -> Result<POP3Command, ParseError> { arguments.isEmpty ? .success(command) : bad("no arguments") }
        func number(_ text: String) -> Int? {
            guard !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(text)
        }
        func message(_ make: (Int) -> POP3Command) -> Result<POP3Command, ParseError> {
            guard arguments.count == 1, let n = number(arguments[0]) else { return bad("a message number") }
            return .success(make(n))
        }
        func optionalMessage(_ make: (Int?) -> POP3Command) -> Result<POP3Command, ParseError> {
            if arguments.isEmpty { return .success(make(nil)) }
            guard arguments.count == 1, let n = number(arguments[0]) else { return bad("an optional message number") }
            return .success(make(n))
        }

        switch keyword {
        case "USER":
            guard !rest.isEmpty, rest.utf8.count <= 255, !rest.contains("\0") else { return bad("a user name") }
            return .success(.user(rest))
        case "PASS":
            // The whole rest of the line: a password may contain spaces (RFC 1939 §7).
            guard !rest.isEmpty, !rest.contains("\0") else { return bad("a password") }
            return .success(.pass(rest))
        case "AUTH":
            guard arguments.count <= 2, arguments.allSatisfy({ !$0.isEmpty }) else { return bad("a mechanism and an optional initial response") }
            return .success(.auth(mechanism: arguments.first?.uppercased(), initialResponse: arguments.count == 2 ? arguments[1] : nil))
        case "CAPA": return none(.capa)
        case "STLS": return none(.stls)
        case "STAT": return none(.stat)
        case "NOOP": return none(.noop)
        case "RSET": return none(.rset)
        case "QUIT": return none(.quit)
        case "LIST": return optionalMessage { .list($0) }
        case "UIDL": return optionalMessage { .uidl($0) }
        case "RETR": return message { .retr($0) }
        case "DELE": return message { .dele($0) }
        case "TOP":
            guard arguments.count == 2, let n = number(arguments[0]), let lines = number(arguments[1]) else {
                return bad("a message number and a number of lines")
            }
            return .success(.top(n, lines: lines))
        default:
            return .failure(.unknownCommand(String(keyword.prefix(maximumArgumentLength))))
        }
    }
}
