public import NIOCore

/// An RFC 3463 enhanced status code such as `2.1.5` (class.subject.detail), sent after the reply code as
/// RFC 2034 (ENHANCEDSTATUSCODES) describes.
public struct SMTPEnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    public var statusClass: Int
    public var subject: Int
    public var detail: Int

    public init(_ statusClass: Int, _ subject: Int, _ detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    public var description: String { "\(statusClass).\(subject).\(detail)" }
}

/// One SMTP/LMTP reply: a three-digit code, an optional enhanced status code and one or more text lines.
///
/// ``rendered()`` gives the wire form: every line but the last as `250-text`, the last as `250 text`, each
/// ended by CR LF, with the enhanced code (when present) at the start of every line's text. The greeting,
/// the HELO/EHLO/LHLO replies, 354 and AUTH's 334 challenges carry no enhanced code (RFC 2034 §3, RFC 4954).
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var enhancedCode: SMTPEnhancedStatusCode?
    /// Text lines; at least one (possibly empty).
    public var lines: [String]

    public init(_ code: Int, _ enhancedCode: SMTPEnhancedStatusCode?, _ lines: [String]) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ enhancedCode: SMTPEnhancedStatusCode?, _ text: String) {
        self.init(code, enhancedCode, [text])
    }

    /// 2yz.
    public var isPositive: Bool { code >= 200 && code < 300 }
    /// 3yz (354, 334).
    public var isIntermediate: Bool { code >= 300 && code < 400 }
    /// 4yz.
    public var isTransientFailure: Bool { code >= 400 && code < 500 }
    /// 5yz.
    public var isPermanentFailure: Bool { code >= 500 }

    /// The reply as sent: `250-first\r\n250 last\r\n`.
    public func rendered() -> String {
        var out = ""
        for (index, text) in lines.enumerated() {
            out += String(code)
            out += index == lines.count - 1 ? " " : "-"
            if let enhancedCode {
                out += enhancedCode.description
                if !text.isEmpty { out += " " }
            }
            out += text
            out += "\r\n"
        }
        return out
    }

    /// Appends ``rendered()`` to a buffer.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeString(rendered())
    }

    /// The rendered reply without the final CR LF (for logs and test messages).
    public var description: String { String(decoding: rendered().utf8.dropLast(2), as: UTF8.self) }
}

// MARK: - The replies Shoal sends

extension SMTPReply {
    static func esc(_ a: Int, _ b: Int, _ c: Int) -> SMTPEnhancedStatusCode { SMTPEnhancedStatusCode(a, b, c) }

    // 2yz
    static let ok = SMTPReply(250, esc(2, 0, 0), "Ok")
    static let senderOk = SMTPReply(250, esc(2, 1, 0), "Ok")
    static let recipientOk = SMTPReply(250, esc(2, 1, 5), "Ok")
    static let bye = SMTPReply(221, esc(2, 0, 0), "Bye")
    static let startData = SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>")
    static let readyToStartTLS = SMTPReply(220, esc(2, 0, 0), "Ready to start TLS")
    static let cannotVerify = SMTPReply(252, esc(2, 5, 0), "Cannot VRFY user; try RCPT to attempt delivery")
    static let authenticationSucceeded = SMTPReply(235, esc(2, 7, 0), "Authentication successful")
    static func queued(_ id: String) -> SMTPReply { SMTPReply(250, esc(2, 0, 0), "Ok: queued as \(id)") }
    static func chunkReceived(_ octets: Int) -> SMTPReply { SMTPReply(250, esc(2, 0, 0), "Ok: \(octets) octets received") }
    static func authChallenge(_ base64: String) -> SMTPReply { SMTPReply(334, nil, base64) }

    // 4yz
    static func timeout(_ host: String) -> SMTPReply { SMTPReply(421, esc(4, 4, 2), "\(host) Timeout, closing connection") }
    static func tooManyErrors(_ host: String) -> SMTPReply {
        SMTPReply(421, esc(4, 7, 0), "\(host) Too many errors, closing connection")
    }
    static func shuttingDown(_ host: String) -> SMTPReply {
        SMTPReply(421, esc(4, 3, 2), "\(host) Service shutting down, closing connection")
    }
    static let tooManyRecipients = SMTPReply(452, esc(4, 5, 3), "Too many recipients")
    static let temporaryLookupFailure = SMTPReply(451, esc(4, 3, 0), "Temporary lookup failure")
    static let temporaryAuthenticationFailure = SMTPReply(454, esc(4, 7, 0), "Temporary authentication failure")

    // 5yz: syntax and sequence
    static let commandUnrecognized = SMTPReply(500, esc(5, 5, 2), "Syntax error, command unrecognized")
    static let bareLineEnding = SMTPReply(500, esc(5, 5, 2), "Syntax error, bare CR or LF")
    static let lineTooLong = SMTPReply(500, esc(5, 5, 2), "Line too long")
    static let authLineTooLong = SMTPReply(500, esc(5, 5, 6), "Authentication exchange line is too long")
    static let useLHLO = SMTPReply(500, esc(5, 5, 1), "Use LHLO in LMTP")
    static let notImplemented = SMTPReply(502, esc(5, 5, 1), "Command not implemented")
    static func syntax(_ usage: String) -> SMTPReply { SMTPReply(501, esc(5, 5, 4), "Syntax: \(usage)") }
    static let noParametersAllowed = SMTPReply(501, esc(5, 5, 4), "Syntax error, no parameters allowed")
    static let badSenderSyntax = SMTPReply(501, esc(5, 1, 7), "Bad sender address syntax")
    static let badRecipientSyntax = SMTPReply(501, esc(5, 1, 3), "Bad recipient address syntax")
    static let utf8AddressNeedsSMTPUTF8 = SMTPReply(553, esc(5, 6, 7), "Non-ASCII address requires SMTPUTF8")
    static func badParameter(_ name: String) -> SMTPReply { SMTPReply(501, esc(5, 5, 4), "Bad \(name) parameter") }
    static func duplicateParameter(_ name: String) -> SMTPReply {
        SMTPReply(501, esc(5, 5, 4), "Duplicate \(name) parameter")
    }
    static func unsupportedParameter(_ name: String) -> SMTPReply {
        SMTPReply(555, esc(5, 5, 4), "Unsupported parameter \(name)")
    }
    static func sendHelloFirst(lmtp: Bool) -> SMTPReply {
        SMTPReply(503, esc(5, 5, 1), lmtp ? "Send LHLO first" : "Send HELO/EHLO first")
    }
    static let nestedMail = SMTPReply(503, esc(5, 5, 1), "Nested MAIL command")
    static let needMail = SMTPReply(503, esc(5, 5, 1), "Need MAIL command")
    static let needRecipient = SMTPReply(503, esc(5, 5, 1), "Need RCPT command")
    static let noValidRecipients = SMTPReply(554, esc(5, 5, 1), "No valid recipients")
    static let dataAfterBDAT = SMTPReply(503, esc(5, 5, 1), "DATA not allowed after BDAT")
    static let binaryNeedsBDAT = SMTPReply(503, esc(5, 5, 1), "BINARYMIME requires BDAT")
    static let alreadyAuthenticated = SMTPReply(503, esc(5, 5, 1), "Already authenticated")
    static let authInTransaction = SMTPReply(503, esc(5, 5, 1), "AUTH not permitted during a mail transaction")
    static let tlsAlreadyActive = SMTPReply(503, esc(5, 5, 1), "TLS already active")

    // 5yz: policy and content
    static let messageTooBig = SMTPReply(552, esc(5, 3, 4), "Message size exceeds fixed maximum message size")
    static let bareLineEndingInMessage = SMTPReply(554, esc(5, 5, 2), "Bare CR or LF in message")
    static let lineTooLongInMessage = SMTPReply(554, esc(5, 6, 0), "Line too long in message")
    static let userUnknown = SMTPReply(550, esc(5, 1, 1), "User unknown")
    static let mailboxDisabled = SMTPReply(550, esc(5, 2, 1), "Mailbox disabled")
    static let relayDenied = SMTPReply(550, esc(5, 7, 1), "Relay access denied")
    static let mailboxFullTemporary = SMTPReply(452, esc(4, 2, 2), "Mailbox full")
    static let mailboxFullPermanent = SMTPReply(552, esc(5, 2, 2), "Mailbox full")
    static let authenticationRequired = SMTPReply(530, esc(5, 7, 0), "Authentication required")
    static let startTLSFirst = SMTPReply(530, esc(5, 7, 0), "Must issue a STARTTLS command first")
    static let encryptionRequired = SMTPReply(538, esc(5, 7, 11), "Encryption required for requested authentication mechanism")
    static let authenticationFailed = SMTPReply(535, esc(5, 7, 8), "Authentication credentials invalid")
    static let authenticationCancelled = SMTPReply(501, esc(5, 0, 0), "Authentication cancelled")
    static let cannotDecodeResponse = SMTPReply(501, esc(5, 5, 2), "Cannot decode response")
    static let unrecognizedMechanism = SMTPReply(504, esc(5, 5, 4), "Unrecognized authentication mechanism")
}
