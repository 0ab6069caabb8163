import MailStore

/// How many messages the agent reads in one go when it computes summaries.
let imapMessageBatch = 32
/// How many messages one piece of work covers when it needs only their summaries or arrival times (small).
let imapSummaryBatch = 1024
/// The bytes one piece of FETCH, SEARCH or SORT work may read (256 KiB): bounds the memory a command holds (at least one
/// message is read, however large), while small messages go many to a piece (fewer trips off the event loop).
let imapBatchBytes = 256 * 1024
/// At most this many messages' bytes go to one piece of work.
let imapContentsBatch = 256

/// How many of `messages` (from the front) the next piece of work covers.
func imapBatchCount(_ messages: some Collection<StoredMessage>, needsContents: Bool) -> Int {
    guard needsContents else { return min(messages.count, imapSummaryBatch) }
    var count = 0, bytes = 0
    for message in messages.prefix(imapContentsBatch) {
        bytes += Int(message.virtualSize ?? message.size)
        if count > 0 && bytes > imapBatchBytes { break }
        count += 1
    }
    return count
}

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

    /// The targets the next piece of work covers.
    var batch: ArraySlice<(sequenceNumber: Int, message: StoredMessage)> {
        let rest = targets[next...]
        return rest.prefix(imapBatchCount(rest.lazy.map(\.message), needsContents: renderer.needsContents))
    }
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

    /// The messages the next piece of work covers.
    var batch: ArraySlice<StoredMessage> {
        remaining.prefix(imapBatchCount(remaining, needsContents: IMAPSearchEvaluator.needs(command.key).contents))
    }
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
