import NIOConcurrencyHelpers

/// The last subject or sender order of each folder this process sorted, valid while the folder lists the same UIDs
/// in the same order (a message's subject and sender never change, so the same UIDs sort the same way): a second
/// sorted page of an unchanged 10,000-message folder looks up 50 summaries instead of 10,000. Capped: past the cap
/// it starts over.
final class SortedOrderCache: Sendable {
    /// What a sorted order was computed from, and the order as indices into that listing.
    struct Entry: Sendable {
        var uidValidity: UInt32
        var uids: [UInt32]
        var order: [Int]
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    static func key(mailbox: String, folder: String, sort: String) -> String { "\(sort)\u{0}\(mailbox)\u{0}\(folder)" }

    /// The order kept for `key` when it was made from exactly these UIDs.
    func order(_ key: String, uidValidity: UInt32, uids: [UInt32]) -> [Int]? {
        entries.withLockedValue { entries in
            guard let entry = entries[key], entry.uidValidity == uidValidity, entry.uids == uids else { return nil }
            return entry.order
        }
    }

    func put(_ key: String, _ entry: Entry) {
        entries.withLockedValue {
            if $0.count >= capacity, $0[key] == nil { $0.removeAll(keepingCapacity: true) }
            $0[key] = entry
        }
    }
}
