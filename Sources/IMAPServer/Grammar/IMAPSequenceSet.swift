/// A sequence set (`1:*`, `2,4:7,9`, `*`, or `$` for the saved SEARCH result, RFC 5182), for message
/// sequence numbers or UIDs alike: `*` is the largest number in use in that space.
public struct IMAPSequenceSet: Hashable, Sendable, CustomStringConvertible {
    /// One end of a range.
    public enum Bound: Hashable, Sendable {
        case number(UInt32)
        /// `*`: the largest number in use (the message count, or the largest UID).
        case largest

        func resolved(_ largest: UInt32) -> UInt32 {
            switch self {
            case let .number(n): n
            case .largest: largest
            }
        }

        var rendered: String {
            switch self {
            case let .number(n): "\(n)"
            case .largest: "*"
            }
        }
    }

    /// `a` or `a:b` (either order: `7:4` is `4:7`).
    public struct Range: Hashable, Sendable {
        public var first: Bound
        public var last: Bound
        public init(_ first: Bound, _ last: Bound) {
            self.first = first
            self.last = last
        }
        public init(_ single: Bound) { self.init(single, single) }

        /// The numbers this range covers when `*` is `largest`.
        public func resolved(largest: UInt32) -> ClosedRange<UInt32> {
            let a = first.resolved(largest), b = last.resolved(largest)
            return min(a, b)...max(a, b)
        }
    }

    /// The ranges as sent; empty only for `$`.
    public var ranges: [Range]
    /// `$`: the result saved by the last `SEARCH RETURN (SAVE)` (RFC 5182).
    public var isSavedResult: Bool

    public init(_ ranges: [Range]) {
        self.ranges = ranges
        self.isSavedResult = false
    }

    /// `$`.
    public static let savedResult: IMAPSequenceSet = {
        var set = IMAPSequenceSet([])
        set.isSavedResult = true
        return set
    }()

    /// `1:*`.
    public static let all = IMAPSequenceSet([Range(.number(1), .largest)])

    /// A set of single numbers and ranges.
    public init(numbers: [ClosedRange<UInt32>]) {
        self.init(numbers.map { $0.lowerBound == $0.upperBound ? Range(.number($0.lowerBound)) : Range(.number($0.lowerBound), .number($0.upperBound)) })
    }

    /// Whether `number` is in the set when `*` stands for `largest` (the message count for sequence
    /// numbers, the largest UID for UIDs). Always false for `$` (resolve it first).
    public func contains(_ number: UInt32, largest: UInt32) -> Bool {
        ranges.contains { $0.resolved(largest: largest).contains(number) }
    }

    /// Whether a message sequence number is in the set, for a mailbox of `messageCount` messages.
    public func contains(sequenceNumber: UInt32, messageCount: UInt32) -> Bool {
        sequenceNumber >= 1 && sequenceNumber <= messageCount && contains(sequenceNumber, largest: messageCount)
    }

    /// Whether a UID is in the set, where `largestUID` is the largest UID in the mailbox (0 when empty).
    public func contains(uid: UInt32, largestUID: UInt32) -> Bool {
        contains(uid, largest: largestUID)
    }

    /// The covered numbers as sorted, merged, disjoint ranges.
    public func normalized(largest: UInt32) -> [ClosedRange<UInt32>] {
        let sorted = ranges.map { $0.resolved(largest: largest) }.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound || range.lowerBound - 1 == last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// The wire form: `2,4:7,9`, `1:*`, `$`.
    public var description: String {
        if isSavedResult { return "$" }
        return ranges.map { $0.first == $0.last ? $0.first.rendered : "\($0.first.rendered):\($0.last.rendered)" }
            .joined(separator: ",")
    }

    /// Parses a sequence set; nil when it is not one (numbers are nz-number, at most 4294967295).
    public init?(parsing text: some StringProtocol) {
        var parser = IMAPParser(text: Array(text.utf8))
        guard let set = try? parser.sequenceSet(), parser.atEnd else { return nil }
        self = set
    }
}
