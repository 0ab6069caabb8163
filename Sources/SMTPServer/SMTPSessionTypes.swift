public import Directory
public import NIOCore
public import ShoalCore
public import ShoalServer

/// What the glue feeds an ``SMTPSession``.
public enum SMTPInput: Hashable, Sendable {
    /// A line from the ``CRLFLineDecoder``, without its CR LF.
    case line(ByteBuffer)
    /// The decoder's ``CRLFLineDecoder/Line/tooLong``.
    case lineTooLong
    /// Whole message lines with their CR LFs, none the end-of-data line (while ``SMTPSession/inputMode`` is
    /// `.messageLines`, i.e. after DATA's 354).
    case lines(ByteBuffer)
    /// Raw BDAT bytes, read while ``SMTPSession/inputMode`` is `.chunk`.
    case chunk(ByteBuffer)
    /// The answer to ``SMTPAction/checkRecipient(address:mailFrom:)``.
    case recipientChecked(RecipientCheck)
    /// The answer to ``SMTPAction/authenticate(login:password:)``.
    case authenticationResult(SMTPAuthenticationResult)
    /// The answer to ``SMTPAction/deliver(_:)``: one outcome per envelope recipient, in order.
    case delivered([DeliveryOutcome])
    /// The TLS handshake after ``SMTPAction/startTLS`` completed.
    case tlsStarted
    /// The client was idle too long: 421 4.4.2 and close.
    case timeout
    /// The server is shutting down: 421 4.3.2 and close.
    case shutdown
    /// The client closed the connection.
    case eof

    /// The session input for a decoder output.
    public init(_ line: CRLFLineDecoder.Line) {
        switch line {
        case let .line(buffer): self = .line(buffer)
        case .tooLong: self = .lineTooLong
        case let .chunk(buffer): self = .chunk(buffer)
        }
    }
}

/// What the session asks the glue to do, in order.
public enum SMTPAction: Hashable, Sendable {
    /// Write this reply.
    case reply(SMTPReply)
    /// Look the recipient up (directory, quota) and feed back ``SMTPInput/recipientChecked(_:)``.
    case checkRecipient(address: String, mailFrom: String)
    /// Check the credentials and feed back ``SMTPInput/authenticationResult(_:)``.
    case authenticate(login: String, password: String)
    /// Deliver (local) or relay the message and feed back ``SMTPInput/delivered(_:)``.
    case deliver(SMTPEnvelope)
    /// The 220 was just sent: flush it, drop any input buffered after the STARTTLS line (RFC 3207 §5,
    /// against command injection), start TLS and feed ``SMTPInput/tlsStarted``.
    case startTLS
    /// Flush the replies and close the connection.
    case close
}

/// What the glue should read next: CR LF lines, or the rest of a BDAT chunk.
public typealias SMTPInputMode = LineInputMode

/// The answer of the directory about one recipient.
public enum RecipientCheck: Hashable, Sendable {
    /// A local mailbox; `overQuota` gets 452 4.2.2 (or 552 5.2.2, see configuration).
    case local(DirectoryUser, overQuota: Bool = false)
    /// A local domain but no such user: 550 5.1.1.
    case unknown
    /// The user exists but may not receive mail: 550 5.2.1.
    case disabled
    /// Not a domain of this server: relayed when the client authenticated and a relay host is configured,
    /// else 550 5.7.1.
    case remote
    /// The lookup failed (directory down): 451 4.3.0.
    case temporaryFailure
}

/// The answer of the authenticator.
public enum SMTPAuthenticationResult: Hashable, Sendable {
    /// Good credentials; `user` is the canonical login.
    case success(user: String)
    /// Bad credentials or disabled account: 535 5.7.8.
    case failure
    /// The directory could not be asked: 454 4.7.0.
    case temporaryFailure
}

/// How the delivery to one recipient went.
public enum DeliveryOutcome: Hashable, Sendable {
    case delivered
    /// The mailbox is over quota.
    case overQuota
    /// Try again later; the text (if any) goes into the reply.
    case temporaryFailure(String?)
    /// Will never work; the text (if any) goes into the reply.
    case permanentFailure(String?)
}

/// One accepted recipient.
public struct SMTPRecipient: Hashable, Sendable {
    /// Where the message goes for this recipient.
    public enum Destination: Hashable, Sendable {
        /// Into the mailbox of this user.
        case local(DirectoryUser)
        /// To the configured relay host.
        case relay
    }

    public var mailbox: SMTPMailbox
    public var destination: Destination

    public init(mailbox: SMTPMailbox, destination: Destination) {
        self.mailbox = mailbox
        self.destination = destination
    }

    /// The address as the client gave it (source route removed).
    public var address: String { mailbox.address }
}

/// A complete message and its envelope, handed to the glue for delivery.
public struct SMTPEnvelope: Hashable, Sendable {
    /// The transaction id (in `Received:` and the `queued as` reply).
    public var id: String
    /// The reverse path; nil for the null path `<>` (bounces).
    public var reversePath: SMTPMailbox?
    /// Accepted recipients, in RCPT order.
    public var recipients: [SMTPRecipient]
    /// `Return-Path:` and `Received:` header lines, then the message as received (DATA dot-unstuffed,
    /// BDAT raw), lines ended by CR LF.
    public var message: ByteBuffer
    /// Octets of the `Return-Path:` line at the front of ``message``: a relay drops them (RFC 5321 §4.4: only
    /// final delivery adds Return-Path).
    public var returnPathLength: Int
    /// BODY= of MAIL FROM (7BIT when absent).
    public var bodyType: SMTPBodyType
    /// MAIL FROM carried SMTPUTF8.
    public var smtputf8: Bool
    /// The message has octets above 127 (accepted whatever BODY said, as Postfix does; recorded here).
    public var containsEightBitData: Bool
    /// HELO/EHLO/LHLO name of the client.
    public var heloName: String
    /// The client's IP address.
    public var peer: String
    /// The login of an authenticated client.
    public var authenticatedUser: String?
    /// The transport was TLS.
    public var secure: Bool

    /// The reverse path as text, empty for `<>`.
    public var mailFrom: String { reversePath?.address ?? "" }

    /// ``message`` without the `Return-Path:` line (what a relay forwards).
    public var messageWithoutReturnPath: ByteBuffer {
        message.getSlice(at: message.readerIndex + returnPathLength, length: message.readableBytes - returnPathLength)!
    }
}
