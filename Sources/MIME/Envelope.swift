/// The IMAP ENVELOPE of a message (RFC 3501 §7.4.2), built from its header the way Dovecot builds it.
///
/// Strings are the header values as written (leading whitespace removed, folds kept, encoded words not decoded);
/// when a field repeats, the last one counts for strings and the addresses of all are kept, in order. Sender and
/// Reply-To default to From when they give no address.
public struct Envelope: Hashable, Sendable {
    public var date: HeaderText?
    public var subject: HeaderText?
    public var from: [EnvelopeAddress]
    public var sender: [EnvelopeAddress]
    public var replyTo: [EnvelopeAddress]
    public var to: [EnvelopeAddress]
    public var cc: [EnvelopeAddress]
    public var bcc: [EnvelopeAddress]
    public var inReplyTo: HeaderText?
    public var messageID: HeaderText?

    public init(date: HeaderText? = nil, subject: HeaderText? = nil, from: [EnvelopeAddress] = [], sender: [EnvelopeAddress] = [],
                replyTo: [EnvelopeAddress] = [], to: [EnvelopeAddress] = [], cc: [EnvelopeAddress] = [],
                bcc: [EnvelopeAddress] = [], inReplyTo: HeaderText? = nil, messageID: HeaderText? = nil) {
        self.date = date
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }

    /// The envelope of a message with this header.
    public init(header: MessageHeader) {
        func text(_ name: String) -> HeaderText? {
            header.fields(named: name).last.map { header.imapValue(of: $0) }
        }
        func addresses(_ name: String) -> [EnvelopeAddress] {
            var all: [EnvelopeAddress] = []
            for field in header.fields(named: name) where all.count < AddressParser.maximumAddresses {
                all += AddressParser.parse(header.rawValue(of: field))
            }
            return Array(all.prefix(AddressParser.maximumAddresses))
        }
        let from = addresses("From")
        let sender = addresses("Sender")
        let replyTo = addresses("Reply-To")
        self.init(date: text("Date"), subject: text("Subject"), from: from, sender: sender.isEmpty ? from : sender,
                  replyTo: replyTo.isEmpty ? from : replyTo, to: addresses("To"), cc: addresses("Cc"),
                  bcc: addresses("Bcc"), inReplyTo: text("In-Reply-To"), messageID: text("Message-ID"))
    }

    /// The subject with encoded words decoded and folds removed, for display and SEARCH SUBJECT.
    public var decodedSubject: String? { subject.map { EncodedWord.decode(bytes: $0.bytes) } }
}
