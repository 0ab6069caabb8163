import MIME
import NIOConcurrencyHelpers

/// What the message list shows of one message (decoded From, To and Subject), taken once from its header.
public struct MessageSummary: Hashable, Sendable {
    public var from: String
    public var to: String
    public var subject: String
    public var date: String

    public init(from: String, to: String, subject: String, date: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
    }

    /// Reads the header of a message.
    public init(message bytes: [UInt8]) {
        let message = MIMEMessage.parse(bytes, limits: .default)
        let header = { (name: String) in message.decodedHeaderValue(name).joined(separator: ", ") }
        self.init(from: header("From"), to: header("To"), subject: header("Subject"), date: header("Date"))
    }
}

/// The summaries this process has read, keyed by the messages' Maildir base names (which never change, so an
/// entry never goes stale).
typealias MessageSummaryCache = BaseNameCache<MessageSummary>

/// What this process has read of each message, keyed by its Maildir base name (which never changes, so an entry
/// never goes stale). Capped: past the cap it starts over.
final class BaseNameCache<Value: Sendable>: Sendable {
    private let entries = NIOLockedValueBox<[String: Value]>([:])
    let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    func get(_ key: String) -> Value? { entries.withLockedValue { $0[key] } }

    func put(_ key: String, _ value: Value) {
        entries.withLockedValue {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
    }
}
