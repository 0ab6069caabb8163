/// The HTTP statuses an HTTP check accepts: single codes and ranges, such as `200-399` or `200,204`.
public struct HTTPStatusSet: Hashable, Sendable, CustomStringConvertible {
    public var ranges: [ClosedRange<Int>]

    /// 200-399, keepalived's default for HTTP_GET without status_code.
    public static let `default` = HTTPStatusSet(ranges: [200...399])

    public init(ranges: [ClosedRange<Int>]) {
        self.ranges = ranges
    }

    /// Parses `200`, `200-299`, or several of them separated by commas; nil when malformed or outside 100-599.
    public init?(_ text: String) {
        var ranges: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: " ")
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count) else { return nil }
            let numbers = bounds.compactMap { bound in Int(bound.trimmingCharacters(in: " ")) }
            guard numbers.count == bounds.count, let low = numbers.first, let high = numbers.last,
                  low <= high, (100...599).contains(low), (100...599).contains(high) else { return nil }
            ranges.append(low...high)
        }
        guard !ranges.isEmpty else { return nil }
        self.ranges = ranges
    }

    public func contains(_ status: Int) -> Bool { ranges.contains { $0.contains(status) } }

    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}

extension Substring {
    /// The text without leading and trailing `character`s.
    func trimmingCharacters(in character: Character) -> Substring {
        var s = self
        while s.first == character { s.removeFirst() }
        while s.last == character { s.removeLast() }
        return s
    }
}
