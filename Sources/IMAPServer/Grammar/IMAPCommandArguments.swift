public import NIOCore

/// A SELECT/EXAMINE parameter (RFC 4466 select-param): CONDSTORE, QRESYNC (RFC 7162), or any other, kept.
public enum IMAPSelectParameter: Hashable, Sendable {
    case condStore
    /// QRESYNC (uidvalidity modseq [known-uids [(seq-match-data)]]).
    case qresync(uidValidity: UInt32, modSeq: UInt64, knownUIDs: IMAPSequenceSet?, sequenceMatch: IMAPSequenceMatch?)
    /// A parameter this parser does not know: its name (uppercased) and its value's text, if any.
    case other(name: String, value: String?)
}

/// QRESYNC's known-sequence-set and known-uid-set pair.
public struct IMAPSequenceMatch: Hashable, Sendable {
    public var sequenceNumbers: IMAPSequenceSet
    public var uids: IMAPSequenceSet
    public init(sequenceNumbers: IMAPSequenceSet, uids: IMAPSequenceSet) {
        self.sequenceNumbers = sequenceNumbers
        self.uids = uids
    }
}

/// LIST, basic (RFC 3501) or extended (RFC 5258, RFC 6154, RFC 5819).
public struct IMAPListCommand: Hashable, Sendable {
    /// Selection options, uppercased: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE.
    public var selectionOptions: [IMAPListSelectionOption]
    /// The reference name (raw wire form, modified UTF-7).
    public var reference: String
    /// One or more patterns (raw wire form, with `*` and `%`).
    public var patterns: [String]
    public var returnOptions: [IMAPListReturnOption]
    /// True when the command used any LIST-EXTENDED syntax (its responses may carry extended data).
    public var isExtended: Bool

    public init(selectionOptions: [IMAPListSelectionOption] = [], reference: String, patterns: [String], returnOptions: [IMAPListReturnOption] = [], isExtended: Bool = false) {
        self.selectionOptions = selectionOptions
        self.reference = reference
        self.patterns = patterns
        self.returnOptions = returnOptions
        self.isExtended = isExtended
    }
}

/// A LIST selection option (RFC 5258 §3.1, RFC 6154).
public enum IMAPListSelectionOption: Hashable, Sendable {
    case subscribed, remote, recursiveMatch, specialUse
    case other(String)
}

/// A LIST return option (RFC 5258 §3.2, RFC 6154, RFC 5819 LIST-STATUS).
public enum IMAPListReturnOption: Hashable, Sendable {
    case subscribed, children, specialUse
    case status([IMAPStatusAttribute])
    case other(String)
}

/// A STATUS data item (RFC 3501 §6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE).
public enum IMAPStatusAttribute: String, Hashable, Sendable, CaseIterable {
    case messages = "MESSAGES"
    case recent = "RECENT"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
    case highestModSeq = "HIGHESTMODSEQ"
    case size = "SIZE"
}

/// APPEND's arguments; `message` holds the literal's octets exactly.
public struct IMAPAppend: Hashable, Sendable {
    public var mailbox: IMAPMailboxName
    public var flags: [IMAPFlag]
    public var internalDate: IMAPDateTime?
    public var message: ByteBuffer
    /// True when the message was sent as `~{n}` (RFC 3516 BINARY literal8).
    public var isBinary: Bool

    public init(mailbox: IMAPMailboxName, flags: [IMAPFlag] = [], internalDate: IMAPDateTime? = nil, message: ByteBuffer, isBinary: Bool = false) {
        self.mailbox = mailbox
        self.flags = flags
        self.internalDate = internalDate
        self.message = message
        self.isBinary = isBinary
    }
}

/// One ID field (RFC 2971): a name and a value or NIL.
public struct IMAPIDParameter: Hashable, Sendable {
    public var key: String
    public var value: String?
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// SEARCH's arguments: charset, return options (RFC 4731 ESEARCH, RFC 5182 SAVE) and the key.
public struct IMAPSearchCommand: Hashable, Sendable {
    /// CHARSET as sent (uppercased); nil when absent (US-ASCII).
    public var charset: String?
    /// RETURN (...); nil when absent (a plain SEARCH response); empty `RETURN ()` means ALL.
    public var returnOptions: [IMAPSearchReturnOption]?
    /// The keys, as one `.and` when there are several.
    public var key: IMAPSearchKey

    public init(charset: String? = nil, returnOptions: [IMAPSearchReturnOption]? = nil, key: IMAPSearchKey) {
        self.charset = charset
        self.returnOptions = returnOptions
        self.key = key
    }
}

/// A SEARCH RETURN option (RFC 4731, RFC 5182).
public enum IMAPSearchReturnOption: String, Hashable, Sendable {
    case min = "MIN"
    case max = "MAX"
    case all = "ALL"
    case count = "COUNT"
    case save = "SAVE"
}

/// FETCH modifiers (RFC 7162): CHANGEDSINCE and VANISHED.
public struct IMAPFetchModifiers: Hashable, Sendable {
    public var changedSince: UInt64?
    public var vanished: Bool
    public init(changedSince: UInt64? = nil, vanished: Bool = false) {
        self.changedSince = changedSince
        self.vanished = vanished
    }
    public static let none = IMAPFetchModifiers()
}

/// What STORE does to the flags: FLAGS, +FLAGS, -FLAGS, each optionally .SILENT, with UNCHANGEDSINCE.
public struct IMAPStoreAction: Hashable, Sendable {
    /// How the flags combine with the message's.
    public enum Operation: Hashable, Sendable {
        case replace, add, remove
    }

    public var operation: Operation
    /// .SILENT: no untagged FETCH for the change.
    public var silent: Bool
    /// Never `\Recent` (the parser refuses it).
    public var flags: [IMAPFlag]
    /// UNCHANGEDSINCE (RFC 7162 §3.1.3).
    public var unchangedSince: UInt64?

    public init(operation: Operation, silent: Bool = false, flags: [IMAPFlag], unchangedSince: UInt64? = nil) {
        self.operation = operation
        self.silent = silent
        self.flags = flags
        self.unchangedSince = unchangedSince
    }
}

/// A SORT criterion (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO), optionally reversed.
public struct IMAPSortCriterion: Hashable, Sendable {
    /// What is compared.
    public enum Key: String, Hashable, Sendable {
        case arrival = "ARRIVAL"
        case cc = "CC"
        case date = "DATE"
        case from = "FROM"
        case size = "SIZE"
        case subject = "SUBJECT"
        case to = "TO"
        case displayFrom = "DISPLAYFROM"
        case displayTo = "DISPLAYTO"
    }
    public var key: Key
    public var reversed: Bool
    public init(_ key: Key, reversed: Bool = false) {
        self.key = key
        self.reversed = reversed
    }
}

/// A THREAD algorithm (RFC 5256).
public enum IMAPThreadAlgorithm: String, Hashable, Sendable {
    case orderedSubject = "ORDEREDSUBJECT"
    case references = "REFERENCES"
}
