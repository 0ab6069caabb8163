public import Directory
public import MailAccess
public import MailStore
public import NIOCore

/// What a ``POP3Session`` needs to know about the server.
public struct POP3SessionConfiguration: Sendable {
    /// This server's name, in the greeting.
    public var hostname: String
    /// STLS can be offered (the listener has a certificate).
    public var tlsAvailable: Bool
    /// The connection is TLS from its first byte (POP3S, port 995).
    public var implicitTLS: Bool
    /// Accept USER/PASS and AUTH without TLS. Off by default (RFC 8314 §3: credentials only over TLS).
    public var allowPlaintextAuthentication: Bool
    /// SASL mechanisms offered by CAPA and AUTH.
    public var authenticationMechanisms: [SASLMechanism]
    /// After this many bad commands the session ends.
    public var maximumErrors: Int

    public init(hostname: String, tlsAvailable: Bool = false, implicitTLS: Bool = false,
                allowPlaintextAuthentication: Bool = false, authenticationMechanisms: [SASLMechanism] = [.plain, .login],
                maximumErrors: Int = 10) {
        self.hostname = hostname
        self.tlsAvailable = tlsAvailable
        self.implicitTLS = implicitTLS
        self.allowPlaintextAuthentication = allowPlaintextAuthentication
        self.authenticationMechanisms = authenticationMechanisms
        self.maximumErrors = maximumErrors
    }
}

/// One message of an open maildrop: where it is, its size as transferred, its unique id.
public struct POP3Message: Hashable, Sendable {
    public var stored: StoredMessage
    /// Octets with CR LF line ends (LIST, STAT).
    public var size: Int
    /// Dovecot's default `pop3_uidl_format` `%08Xu%08Xv`: UID and UIDVALIDITY in hex (Dovecot writes it lower-case).
    public var uidl: String

    public init(stored: StoredMessage, size: Int, uidl: String) {
        self.stored = stored
        self.size = size
        self.uidl = uidl
    }

    /// The UIDL Dovecot gives the message with this UID in a folder of this UIDVALIDITY.
    public static func uidl(uid: UInt32, uidValidity: UInt32) -> String {
        hex8(uid) + hex8(uidValidity)
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<8).reversed().map { digits[Int((value >> (UInt32($0) * 4)) & 0xF)] })
    }
}

/// A maildrop as the transaction state sees it: fixed at login (RFC 1939 §5), numbered from 1.
public struct POP3Maildrop: Hashable, Sendable {
    public var messages: [POP3Message]

    public init(messages: [POP3Message]) { self.messages = messages }
}

/// How opening the maildrop after login went.
public enum POP3OpenResult: Hashable, Sendable {
    case opened(POP3Maildrop)
    /// Another session (on any node) holds the maildrop lock.
    case inUse
    /// The store could not be read.
    case failed
}

/// What the session receives: lines from the driver, and the answers of its work.
public enum POP3Input: Sendable {
    case line(ByteBuffer)
    case lineTooLong
    case tlsStarted
    case timeout
    case shutdown
    case eof
    case authenticated(MailAuthenticator.Outcome)
    case opened(POP3OpenResult)
    /// The transfer encoding of a message (see ``POP3Transfer``), or nil when it is gone.
    case retrieved(ByteBuffer?)
    /// Whether every message marked deleted was removed.
    case committed(Bool)
}

/// What the session asks for.
public enum POP3Action: Sendable {
    case reply(String)
    case send(ByteBuffer)
    case authenticate(login: String, password: String)
    case open(DirectoryUser)
    /// RETR (all of it) or TOP; `following` are the messages a RETR is likely followed by (read ahead).
    case retrieve(StoredMessage, bodyLines: Int?, following: POP3Following)
    case commit([StoredMessage])
    case startTLS
    case close
}

/// The work a POP3 session hands to its connection's agent, off the event loop.
public enum POP3Work: Sendable {
    case authenticate(login: String, password: String)
    case open(DirectoryUser)
    /// RETR (all of it) or TOP; `following` are the messages a RETR is likely followed by (read ahead).
    case retrieve(StoredMessage, bodyLines: Int?, following: POP3Following)
    case commit([StoredMessage])
}
