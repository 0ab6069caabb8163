public import NIOCore
public import ShoalServer

/// The mail protocols the director can proxy up to authentication.
public enum MailProxyProtocol: String, Hashable, Sendable, CaseIterable {
    case imap, pop3, submission

    /// What a login the director itself refused says (a node's words for it; submission has its own).
    var refusedLoginText: String {
        switch self {
        case .imap: "[AUTHENTICATIONFAILED] Authentication failed."
        case .pop3: "[AUTH] Authentication failed."
        case .submission: "Authentication credentials invalid"
        }
    }
}

/// The credentials a client gave, to be replayed to the node chosen for `user`.
public struct MailLogin: Hashable, Sendable, CustomStringConvertible {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// The user only: passwords are never logged.
    public var description: String { "login \(user)" }
}

/// How replaying a login to a node ended.
public enum MailRouteResult: Hashable, Sendable {
    /// The node accepted: its answer to the login (the IMAP tagged line without its tag, the POP3 `+OK` line,
    /// the SMTP `235` line), to be passed to the client before the splice.
    case accepted(String)
    /// The node refused the credentials: its text.
    case refused(String)
    /// No node could be reached (none up, all refused the connection, or one broke off the conversation).
    case unavailable
}

/// What the driver tells a proxy session.
public enum MailProxyEvent: Sendable {
    case line(ByteBuffer)
    case lineTooLong
    case chunk(ByteBuffer)
    case tlsStarted
    case timeout
    case eof
    /// The answer of a `.route` action.
    case routed(MailRouteResult)
}

/// What a proxy session asks the driver to do.
public enum MailProxyAction: Hashable, Sendable {
    case send(String)
    /// Choose the user's node, connect, replay the login; answer with `.routed`.
    case route(MailLogin)
    /// Start TLS with the client (after the plaintext answer was sent); answer with `.tlsStarted`.
    case startTLS
    /// The login was accepted and answered: splice the client to the node.
    case splice
    case close
}

/// A pure pre-authentication proxy session (IMAP, POP3, submission): lines in, actions out, no I/O.
public protocol MailProxySession: Sendable {
    mutating func start() -> [MailProxyAction]
    mutating func receive(_ event: MailProxyEvent) -> [MailProxyAction]
    /// Lines, or the octets of an IMAP literal.
    var inputMode: LineInputMode { get }
    /// True while a login is being replayed to a node (input is held).
    var isRouting: Bool { get }
    var isClosed: Bool { get }
    /// The conversation that replays `login` to a node of this protocol.
    func backendLogin(_ login: MailLogin) -> any MailBackendConversation
}

/// A pure conversation with a node that replays a client's login: lines to send, then lines in until a result.
public protocol MailBackendConversation: Sendable {
    /// Lines to send at once, before the node's greeting arrives (IMAP pipelines its whole login; POP3 and
    /// submission wait for the greeting and send none).
    mutating func start() -> [String]
    /// One line from the node (without CR LF); the lines to send next, or the result.
    mutating func receive(_ line: String) -> MailBackendStep
}

/// The next step of a `MailBackendConversation`.
public enum MailBackendStep: Hashable, Sendable {
    case send([String])
    case finished(MailRouteResult)
}
