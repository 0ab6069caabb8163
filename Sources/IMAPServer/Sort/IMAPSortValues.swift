public import MIME

/// What SORT and THREAD compare for one message (RFC 5256), taken from its header once: small, so a whole
/// folder's worth can be held while the command runs.
public struct IMAPSortValues: Hashable, Sendable {
    public var sequenceNumber: Int
    public var uid: UInt32
    /// INTERNALDATE, seconds since 1970.
    public var arrival: Int64
    /// The Date: header's instant, or the arrival when it is missing or does not parse (RFC 5256 SORT DATE).
    public var sent: Int64
    public var size: UInt64
    /// addr-mailbox of the first From, To and Cc address, casemapped (empty when missing). A group's start
    /// marker counts as an address whose mailbox is the group name, as Dovecot sorts (`To: team:;` sorts as
    /// `team`, before its members).
    public var from: [UInt8], to: [UInt8], cc: [UInt8]
    /// RFC 5957 display forms: the decoded display name, or the address when there is none; casemapped.
    public var displayFrom: [UInt8], displayTo: [UInt8]
    public var subject: IMAPBaseSubject
    /// Message-ID, and the ids of References (or, without it, In-Reply-To), each without angle brackets.
    public var messageID: String?
    public var references: [String]

    public init(sequenceNumber: Int, uid: UInt32, arrival: Int64, size: UInt64, header: MessageHeader) {
        self.sequenceNumber = sequenceNumber
        self.uid = uid
        self.arrival = arrival
        self.size = size
        sent = header.value(named: "Date").flatMap(IMAPSentDate.parse) ?? arrival
        func first(_ name: String) -> EnvelopeAddress? {
            guard let field = header.field(named: name) else { return nil }
            return AddressParser.parse(header.rawValue(of: field)).first { !$0.isGroupEnd }
        }
        func mailbox(_ address: EnvelopeAddress?) -> [UInt8] { IMAPBaseSubject.upper(address?.mailbox?.bytes ?? []) }
        func display(_ address: EnvelopeAddress?) -> [UInt8] {
            guard let address else { return [] }
            if let name = address.name, !name.isEmpty { return IMAPBaseSubject.upper(Array(EncodedWord.decode(bytes: name.bytes).utf8)) }
            let spec = (address.mailbox?.bytes ?? []) + (address.host.map { [UInt8(ascii: "@")] + $0.bytes } ?? [])
            return IMAPBaseSubject.upper(spec)
        }
        let fromAddress = first("From"), toAddress = first("To")
        from = mailbox(fromAddress)
        to = mailbox(toAddress)
        cc = mailbox(first("Cc"))
        displayFrom = display(fromAddress)
        displayTo = display(toAddress)
        let subjectField = header.field(named: "Subject")
        subject = IMAPBaseSubject(subjectField.map { EncodedWord.decode(bytes: header.rawValue(of: $0).filter { $0 != 0x0D && $0 != 0x0A }) })
        messageID = header.value(named: "Message-ID").flatMap { Self.messageIDs($0).first }
        let references = header.value(named: "References").map(Self.messageIDs) ?? []
        self.references = references.isEmpty ? Array((header.value(named: "In-Reply-To").map(Self.messageIDs) ?? []).prefix(1)) : references
    }

    /// The `<id>`s in a header value, in order, without brackets (at most 1,000, each at most 1,000 octets).
    static func messageIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var current: String?
        for character in value {
            if character == "<" {
                current = ""
            } else if character == ">" {
                if let id = current, !id.isEmpty, ids.count < 1000 { ids.append(id) }
                current = nil
            } else if current != nil, !character.isWhitespace {
                if current!.utf8.count < 1000 { current!.append(character) } else { current = nil }
            }
        }
        return ids
    }
}
