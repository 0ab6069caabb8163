import MailStore

/// How many messages one piece of FETCH or SEARCH work reads when it needs their bytes: bounds the memory a
/// command holds.
let imapMessageBatch = 32
/// How many messages one piece of work covers when it needs only their summaries or arrival times (small).
let imapSummaryBatch = 1024

/// A FETCH under way: first the folder is looked at, then `\Seen` is set where the items set it, then
/// the bytes are read when an item needs them.
struct IMAPFetchJob: Sendable {
    var tag: String
    var set: IMAPSequenceSet
    var renderer: IMAPFetchRenderer
    var uid: Bool
    /// The messages asked for, by sequence number (filled once the folder was looked at).
    var targets: [(sequenceNumber: Int, message: StoredMessage)] = []
    /// Where the next batch of bytes starts (messages are read and sent a batch at a time).
    var next = 0
    /// Some messages were gone when their bytes were read.
    var missing = false
    /// Messages this FETCH gave `\Seen`: their new flags follow their data when FLAGS was not asked for
    /// (RFC 3501 §6.4.5: the flags "SHOULD be included as part of the FETCH responses").
    var newlySeen: Set<UInt32> = []
    var stage: Stage = .sync

    enum Stage: Sendable { case sync, seen, data }

    var batchSize: Int { renderer.needsContents ? imapMessageBatch : imapSummaryBatch }
}

/// A SEARCH under way: the folder is looked at, then the bytes read when a key needs them.
struct IMAPSearchJob: Sendable {
    var tag: String
    var command: IMAPSearchCommand
    var uid: Bool
    /// The messages still to read (a batch at a time) and the matches so far.
    var remaining: [StoredMessage] = []
    var matches: [UInt32] = []
    var stage: Stage = .sync

    enum Stage: Sendable { case sync, data }

    var batchSize: Int { IMAPSearchEvaluator.needs(command.key).contents ? imapMessageBatch : imapSummaryBatch }
}

/// A STORE under way: the folder is looked at, then the flags set.
struct IMAPStoreJob: Sendable {
    var tag: String
    var set: IMAPSequenceSet
    var action: IMAPStoreAction
    var uid: Bool
    var stage: Stage = .sync

    enum Stage: Sendable { case sync, flags }
}
