extension Envelope {
    /// The ENVELOPE as IMAP sends it: `(date subject (from) (sender) (reply-to) (to) (cc) (bcc) in-reply-to message-id)`.
    public var imapBytes: [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "(")]
        write(to: &out)
        out.append(UInt8(ascii: ")"))
        return out
    }

    /// The ten fields without the enclosing parentheses.
    func write(to out: inout [UInt8]) {
        IMAPString.appendUnfolded(date?.bytes, to: &out)
        out.append(0x20)
        IMAPString.appendForHumans(subject?.bytes, to: &out)
        for list in [from, sender, replyTo, to, cc, bcc] {
            out.append(0x20)
            Self.write(list, to: &out)
        }
        out.append(0x20)
        IMAPString.appendUnfolded(inReplyTo?.bytes, to: &out)
        out.append(0x20)
        IMAPString.appendUnfolded(messageID?.bytes, to: &out)
    }

    static func write(_ addresses: [EnvelopeAddress], to out: inout [UInt8]) {
        guard !addresses.isEmpty else { out += Array("NIL".utf8); return }
        out.append(UInt8(ascii: "("))
        for address in addresses {
            out.append(UInt8(ascii: "("))
            IMAPString.appendForHumans(address.name?.bytes, to: &out)
            out.append(0x20)
            IMAPString.appendUnfolded(address.adl?.bytes, to: &out)
            out.append(0x20)
            IMAPString.appendUnfolded(address.mailbox?.bytes, to: &out)
            out.append(0x20)
            IMAPString.appendUnfolded(address.host?.bytes, to: &out)
            out.append(UInt8(ascii: ")"))
        }
        out.append(UInt8(ascii: ")"))
    }

    /// What Dovecot writes for a message without a header: ten NILs.
    static let empty = Envelope()
}
