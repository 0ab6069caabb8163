public import NIOCore

/// One complete, tagged IMAP command (RFC 3501 and the extensions Shoal speaks), parsed.
public struct IMAPCommand: Hashable, Sendable {
    public var tag: String
    public var kind: Kind

    public init(tag: String, kind: Kind) {
        self.tag = tag
        self.kind = kind
    }

    /// What the command asks for. Parsing checks syntax only; whether it is allowed in the session's
    /// state, or the extension offered, is the session's business.
    public enum Kind: Hashable, Sendable {
        // Any state.
        case capability
        case noop
        case logout
        // Not authenticated.
        case starttls
        /// AUTHENTICATE; the SASL-IR initial response as sent (base64, `=` for an empty one), nil when absent.
        case authenticate(mechanism: String, initialResponse: String?)
        case login(user: String, password: String)
        // Authenticated.
        case select(IMAPMailboxName, parameters: [IMAPSelectParameter])
        case examine(IMAPMailboxName, parameters: [IMAPSelectParameter])
        /// CREATE; `specialUse` lists the `USE (...)` attributes (RFC 6154), such as `\Sent`.
        case create(IMAPMailboxName, specialUse: [String])
        case delete(IMAPMailboxName)
        case rename(from: IMAPMailboxName, to: IMAPMailboxName)
        case subscribe(IMAPMailboxName)
        case unsubscribe(IMAPMailboxName)
        case list(IMAPListCommand)
        case lsub(reference: String, pattern: String)
        case status(IMAPMailboxName, attributes: [IMAPStatusAttribute])
        case append(IMAPAppend)
        case namespace
        case id([IMAPIDParameter]?)
        /// ENABLE with the capability names, uppercased.
        case enable([String])
        case idle
        // Selected.
        case check
        case close
        case unselect
        case expunge
        /// UID EXPUNGE (RFC 4315).
        case uidExpunge(IMAPSequenceSet)
        case search(IMAPSearchCommand, uid: Bool)
        case fetch(IMAPSequenceSet, attributes: [IMAPFetchAttribute], modifiers: IMAPFetchModifiers, uid: Bool)
        case store(IMAPSequenceSet, IMAPStoreAction, uid: Bool)
        case copy(IMAPSequenceSet, to: IMAPMailboxName, uid: Bool)
        case move(IMAPSequenceSet, to: IMAPMailboxName, uid: Bool)
        /// SORT (RFC 5256).
        case sort(criteria: [IMAPSortCriterion], charset: String, key: IMAPSearchKey, uid: Bool)
        /// THREAD (RFC 5256).
        case thread(algorithm: IMAPThreadAlgorithm, charset: String, key: IMAPSearchKey, uid: Bool)
    }

    /// Parses a whole command: `text` is its lines joined as they came (each literal announcement `{n}` ends
    /// a line), `literals` the literal octets in order. ``IMAPCommandAssembler`` calls this; tests may too.
    public static func parse(text: [UInt8], literals: [ByteBuffer] = []) -> Result<IMAPCommand, IMAPCommandError> {
        var parser = IMAPParser(text: text, literals: literals)
        return parser.command()
    }

    /// Parses a command that is one line without literals.
    public static func parse(_ line: some StringProtocol) -> Result<IMAPCommand, IMAPCommandError> {
        parse(text: Array(line.utf8))
    }

    /// True when a line during IDLE is `DONE` (any case), which ends the IDLE (RFC 2177).
    public static func isIdleDone(_ line: ByteBuffer) -> Bool {
        line.readableBytes == 4 && line.readableBytesView.map { $0 & 0xDF } == Array("DONE".utf8)
    }

    /// A client line answering an AUTHENTICATE challenge: `*` cancels (RFC 3501 §6.2.2).
    public static func authenticateResponse(_ line: ByteBuffer) -> IMAPAuthenticateResponse {
        let text = String(decoding: line.readableBytesView, as: UTF8.self)
        return text == "*" ? .cancel : .response(text)
    }
}

/// A client's answer to an AUTHENTICATE continuation.
public enum IMAPAuthenticateResponse: Hashable, Sendable {
    /// Base64 as sent (decoding is the SASL layer's).
    case response(String)
    /// `*`: the client gave up; answer BAD.
    case cancel
}
