/// The IMAP ENVELOPE of a message (RFC 3501 §7.4.2), built from its header the way Dovecot builds it.
///
/// Strings are the header values as written (leading whitespace removed, folds kept, encoded words not decoded);
/// empty address fields count as absent. Sender and Reply-To default to From.
public struct Envelope: Hashable, Sendable {
    public var date: String?
    public var subject: String?
    public var from: [EnvelopeAddress]
    public var sender: [EnvelopeAddress]
    public var replyTo: [EnvelopeAddress]
    public var to: [EnvelopeAddress]
    public var cc: [EnvelopeAddress]
    public var bcc: [EnvelopeAddress]
    public var inReplyTo: String?
    public var messageID: String?

    public init(date: String? = nil, subject: String? = nil, from: [EnvelopeAddress] = [], sender: [EnvelopeAddress] = [],
                replyTo: [EnvelopeAddress] = [], to: [EnvelopeAddress] = [], cc: [EnvelopeAddress] = [],
                bcc: [EnvelopeAddress] = [], inReplyTo: String? = nil, messageID: String? = nil) {
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

    /// The envelope of a message with this header: the first field of each name counts.
    public init(header: MessageHeader) {
        func text(_ name: String) -> String? {
            header.field(named: name).map { MIMEText.string(header.rawValue(of: $0)) }
        }
        func addresses(_ name: String) -> [EnvelopeAddress] {
            header.field(named: name).map { AddressParser.parse(header.rawValue(of: $0)) } ?? []
        }
        let from = addresses("From")
        let sender = addresses("Sender")
        let replyTo = addresses("Reply-To")
        self.init(date: text("Date"), subject: text("Subject"), from: from, sender: sender.isEmpty ? from : sender,
                  replyTo: replyTo.isEmpty ? from : replyTo, to: addresses("To"), cc: addresses("Cc"),
                  bcc: addresses("Bcc"), inReplyTo: text("In-Reply-To"), messageID: text("Message-ID"))
    }

    /// The subject with encoded words decoded and folds removed, for display and SEARCH SUBJECT.
    public var decodedSubject: String? { subject.map { EncodedWord.decode($0) } }
}
