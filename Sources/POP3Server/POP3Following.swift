public import MailStore

/// The messages a RETR is likely followed by: those after it in the maildrop that are not marked deleted, in
/// order, at most ``POP3ReadAhead/candidates``. A view of the session's maildrop (its array and deleted set are
/// shared, not copied), so that a RETR costs nothing for it until the read-ahead actually reads.
public struct POP3Following: Sendable, Sequence {
    private let messages: ArraySlice<POP3Message>
    /// Message numbers (1-based) marked deleted.
    private let deleted: Set<Int>

    /// The messages after number `number` of `maildrop`, skipping the numbers in `deleted`.
    public init(after number: Int, in maildrop: [POP3Message], deleted: Set<Int>) {
        messages = maildrop[Swift.min(number, maildrop.count)...]
        self.deleted = deleted
    }

    /// Exactly `messages`, in order (none deleted).
    public init(_ messages: some Sequence<StoredMessage>) {
        self.messages = ArraySlice(messages.map { POP3Message(stored: $0, size: 0, uidl: "") })
        deleted = []
    }

    /// No message follows.
    public static let none = POP3Following([])

    public struct Iterator: IteratorProtocol {
        fileprivate let following: POP3Following
        fileprivate var index: Int
        fileprivate var given = 0

        public mutating func next() -> StoredMessage? {
            let messages = following.messages
            while given < POP3ReadAhead.candidates && index < messages.endIndex {
                defer { index += 1 }
                // Message number index + 1: the maildrop's array is 0-based.
                if following.deleted.contains(index + 1) { continue }
                given += 1
                return messages[index].stored
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(following: self, index: messages.startIndex) }

    public var isEmpty: Bool { uidWindow == nil }

    /// The UIDs from the first to the last of these messages (nil when there are none): held read-ahead outside
    /// it is of no more use.
    public var uidWindow: ClosedRange<UInt32>? {
        var first: UInt32?, last: UInt32 = 0
        var given = 0
        for index in messages.indices where !deleted.contains(index + 1) {
            guard given < POP3ReadAhead.candidates else { break }
            let uid = messages[index].stored.uid
            if first == nil { first = uid }
            last = uid
            given += 1
        }
        return first.map { $0...last }
    }
}
