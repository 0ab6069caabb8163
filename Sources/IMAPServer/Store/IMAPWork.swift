public import MailAccess
public import MailStore

/// The store and directory work an IMAP session asks for, done off the event loop by ``IMAPMailboxAgent``.
public enum IMAPWork: Sendable {
    case authenticate(login: String, password: String)
    /// Every folder, and the subscribed names (LIST, LSUB).
    case folders
    /// A folder as it is now (SELECT, EXAMINE, STATUS, and the sync before untagged updates). With
    /// `claimRecent` (a read-write selection) the messages in `new/` move to `cur/` first; those this session
    /// moved come back with `isNew` true (its `\Recent` ones), those another session moved first with false.
    case listing(folder: String, claimRecent: Bool = false)
    /// Several folders as they are now (LIST-STATUS); nil for one that cannot be read.
    case listings(folders: [String])
    /// IDLE: wait for a change to the folder (or the poll interval), then the folder as it is then.
    case idleWait(folder: String, claimRecent: Bool = false)
    /// DONE: the `idleWait` under way returns at once. Answered with `.idleEnded`, which is not the answer of any
    /// command (the `idleWait` still is).
    case endIdle
    case create(folder: String)
    case delete(folder: String)
    case rename(folder: String, to: String)
    case subscribe(folder: String, subscribed: Bool)
    /// What FETCH needs that the listing does not have: the bytes, the arrival time, the summary (ENVELOPE,
    /// BODYSTRUCTURE, BODY, size — from the folder's summary cache, or computed and added to it).
    case messageData([StoredMessage], folder: String, contents: Bool, receivedDates: Bool, summaries: Bool = false)
    /// New flags for messages (STORE, and `\Seen` set by FETCH BODY[]).
    case setFlags([IMAPFlagUpdate], folder: String)
    case expunge([StoredMessage], folder: String)
    /// COPY, or MOVE (the originals are removed once copied).
    case copy([StoredMessage], from: String, to: String, move: Bool)
    case append([UInt8], folder: String, flags: Set<MailFlag>, keywords: [String], receivedDate: Int64?)
}

/// One message's new flags and keywords.
public struct IMAPFlagUpdate: Hashable, Sendable {
    public var message: StoredMessage
    public var flags: Set<MailFlag>
    public var keywords: [String]

    public init(message: StoredMessage, flags: Set<MailFlag>, keywords: [String]) {
        self.message = message
        self.flags = flags
        self.keywords = keywords
    }
}

/// What FETCH gets for one message from the store; nil fields were not asked for or the message is gone.
public struct IMAPMessageData: Sendable {
    public var uid: UInt32
    public var contents: [UInt8]?
    public var receivedDate: Int64?
    public var summary: IMAPMessageSummary?

    public init(uid: UInt32, contents: [UInt8]?, receivedDate: Int64?, summary: IMAPMessageSummary? = nil) {
        self.uid = uid
        self.contents = contents
        self.receivedDate = receivedDate
        self.summary = summary
    }
}

/// The answer to one piece of ``IMAPWork``.
public enum IMAPWorkResult: Sendable {
    case authenticated(MailAuthenticator.Outcome)
    case folders([MailFolder], subscribed: [String])
    case listing(FolderListing)
    case listings([FolderListing?])
    case done
    /// The answer to `.endIdle`.
    case idleEnded
    case messageData([IMAPMessageData])
    /// The updated messages in order, nil for those gone.
    case flagsSet([StoredMessage?])
    case expunged([UInt32])
    case copied(uidValidity: UInt32, pairs: [(source: UInt32, copy: UInt32)])
    case appended(uidValidity: UInt32, uid: UInt32)
    case failed(IMAPStoreFailure)
}

/// Why store work failed, with the response code RFC 3501 / RFC 5530 gives it.
public struct IMAPStoreFailure: Error, Hashable, Sendable {
    /// `TRYCREATE`, `NONEXISTENT`, `ALREADYEXISTS`, `CANNOT`, `OVERQUOTA`, `UNAVAILABLE`, `SERVERBUG`.
    public var code: String
    public var text: String

    public init(code: String, text: String) {
        self.code = code
        self.text = text
    }

    /// The tagged NO text: `[CODE] text`.
    public var response: String { "[\(code)] \(text)" }
}
