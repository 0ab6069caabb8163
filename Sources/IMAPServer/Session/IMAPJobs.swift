import MailStore

/// A FETCH under way: first the folder is looked at, then `\Seen` is set where the items set it, then
/// the bytes are read when an item needs them.
struct IMAPFetchJob: Sendable {
    var tag: String
    var set: IMAPSequenceSet
    var renderer: IMAPFetchRenderer
    var uid: Bool
    /// The messages asked for, by sequence number (filled once the folder was looked at).
    var targets: [(sequenceNumber: Int, message: StoredMessage)] = []
    var stage: Stage = .sync

    enum Stage: Sendable { case sync, seen, data }
}

/// A SEARCH under way: the folder is looked at, then the bytes read when a key needs them.
struct IMAPSearchJob: Sendable {
    var tag: String
    var command: IMAPSearchCommand
    var uid: Bool
    var stage: Stage = .sync

    enum Stage: Sendable { case sync, data }
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
