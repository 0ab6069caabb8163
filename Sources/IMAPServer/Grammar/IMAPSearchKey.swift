/// One SEARCH key (RFC 3501 §6.4.4, RFC 7162 MODSEQ) as a tree: a list of keys is `.and`.
public indirect enum IMAPSearchKey: Hashable, Sendable {
    case all
    case answered, deleted, draft, flagged, new, old, recent, seen
    case unanswered, undeleted, undraft, unflagged, unseen
    case bcc(String), body(String), cc(String), from(String), subject(String), text(String), to(String)
    /// HEADER field-name string (an empty string matches every message with the field).
    case header(field: String, value: String)
    case keyword(String), unkeyword(String)
    /// Internal date comparisons (the date part only, in the server's zone).
    case before(IMAPDate), on(IMAPDate), since(IMAPDate)
    /// Date: header comparisons.
    case sentBefore(IMAPDate), sentOn(IMAPDate), sentSince(IMAPDate)
    case larger(UInt32), smaller(UInt32)
    case uid(IMAPSequenceSet)
    /// A bare sequence set: message sequence numbers.
    case sequenceNumbers(IMAPSequenceSet)
    case not(IMAPSearchKey)
    case or(IMAPSearchKey, IMAPSearchKey)
    /// Every key must match: a parenthesized list, or the top-level list of keys.
    case and([IMAPSearchKey])
    /// MODSEQ [entry-name entry-type] mod-sequence-valzer (RFC 7162 §3.1.5).
    case modSeq(IMAPModSeqEntry?, UInt64)
}

/// The optional metadata entry of a SEARCH MODSEQ key: `"/flags/\\draft" all`.
public struct IMAPModSeqEntry: Hashable, Sendable {
    public var name: String
    /// `priv`, `shared` or `all`.
    public var type: String
    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}
