public import MailAccess
public import NIOCore

/// What an ``IMAPSession`` needs to know about the server.
public struct IMAPSessionConfiguration: Sendable {
    /// This server's name, in the greeting.
    public var hostname: String
    /// STARTTLS can be offered (the listener has a certificate).
    public var tlsAvailable: Bool
    /// The connection is TLS from its first byte (IMAPS, port 993).
    public var implicitTLS: Bool
    /// Accept LOGIN and AUTHENTICATE without TLS. Off by default (LOGINDISABLED, RFC 3501 §6.2.3).
    public var allowPlaintextAuthentication: Bool
    /// SASL mechanisms offered as AUTH=.
    public var authenticationMechanisms: [SASLMechanism]
    /// Largest APPEND literal.
    public var maximumMessageSize: Int
    /// After this many BAD commands the session ends.
    public var maximumErrors: Int

    public init(hostname: String, tlsAvailable: Bool = false, implicitTLS: Bool = false, allowPlaintextAuthentication: Bool = false,
                authenticationMechanisms: [SASLMechanism] = [.plain, .login], maximumMessageSize: Int = 25 * 1024 * 1024,
                maximumErrors: Int = 20) {
        self.hostname = hostname
        self.tlsAvailable = tlsAvailable
        self.implicitTLS = implicitTLS
        self.allowPlaintextAuthentication = allowPlaintextAuthentication
        self.authenticationMechanisms = authenticationMechanisms
        self.maximumMessageSize = maximumMessageSize
        self.maximumErrors = maximumErrors
    }
}

/// What the session receives: input from the driver, and the answers of its work.
public enum IMAPInput: Sendable {
    case line(ByteBuffer)
    case chunk(ByteBuffer)
    case lineTooLong
    case tlsStarted
    case timeout
    case shutdown
    case eof
    case worked(IMAPWorkResult)
}

/// What the session asks for.
public enum IMAPAction: Sendable {
    /// Response text (lines with their CR LF).
    case send(String)
    /// Response bytes (literals: 8-bit safe).
    case sendBytes([UInt8])
    case perform(IMAPWork)
    case startTLS
    case close
}
