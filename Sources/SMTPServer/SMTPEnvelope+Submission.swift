public import NIOCore

extension SMTPEnvelope {
    /// A message an authenticated user submits through another front end than SMTP (the webmail): the same
    /// `Return-Path:` and `Received:` lines the submission port writes, so the `MailAgent` delivers (or relays)
    /// it exactly as mail sent over submission.
    public static func submission(id: String, from: String, recipients: [SMTPRecipient], message: [UInt8], via: String,
                                  peer: String, hostname: String, user: String, secure: Bool,
                                  timestamp: SMTPTimestamp = .current()) -> SMTPEnvelope {
        let protocolName = SMTPTrace.protocolName(lmtp: false, extended: true, secure: secure, authenticated: true, utf8: false)
        let trace = SMTPTrace.headers(reversePath: from, helo: via, peer: peer, hostname: hostname, protocolName: protocolName, id: id,
                                      recipients: recipients.map(\.address), timestamp: timestamp)
        var buffer = ByteBuffer()
        buffer.writeString(trace.returnPath)
        buffer.writeString(trace.received)
        buffer.writeBytes(message)
        let at = from.lastIndex(of: "@")
        let mailbox = at.map { SMTPMailbox(localPart: String(from[..<$0]), domain: String(from[from.index(after: $0)...])) }
        return SMTPEnvelope(id: id, reversePath: mailbox, recipients: recipients, message: buffer,
                            returnPathLength: trace.returnPath.utf8.count, bodyType: .eightBitMIME, smtputf8: false,
                            containsEightBitData: message.contains { $0 >= 0x80 }, heloName: via, peer: peer,
                            authenticatedUser: user, secure: secure)
    }
}
