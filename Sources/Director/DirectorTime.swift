/// A point on the director's clock in whole microseconds; exact, so equal trace times compare equal.
public struct DirectorTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int) { self.microseconds = Int64(seconds) * 1_000_000 }

    public static let zero = DirectorTime(microseconds: 0)

    /// Parses a non-negative decimal number of seconds such as `12`, `0.25` or `3.000001` exactly.
    public init?(parsingSeconds text: some StringProtocol) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigitCharacter),
              whole.count <= 12, let seconds = Int64(whole) else { return nil }
        var micros: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 6, fraction.allSatisfy(\.isASCIIDigitCharacter) else { return nil }
            micros = Int64(String(fraction) + String(repeating: "0", count: 6 - fraction.count))!
        }
        self.microseconds = seconds * 1_000_000 + micros
    }

    public static func < (a: DirectorTime, b: DirectorTime) -> Bool { a.microseconds < b.microseconds }

    /// This time plus whole seconds.
    public func adding(seconds: Int) -> DirectorTime {
        DirectorTime(microseconds: microseconds + Int64(seconds) * 1_000_000)
    }

    /// This time plus another span measured on the same clock.
    public func adding(_ span: DirectorTime) -> DirectorTime {
        DirectorTime(microseconds: microseconds + span.microseconds)
    }

    /// Whole seconds from `self` until `later`, rounded down, never negative.
    public func seconds(until later: DirectorTime) -> Int {
        max(0, Int((later.microseconds - microseconds) / 1_000_000))
    }

    public var description: String {
        let s = microseconds / 1_000_000, us = microseconds % 1_000_000
        if us == 0 { return "\(s)" }
        var frac = String(us)
        frac = String(repeating: "0", count: 6 - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return "\(s).\(frac)"
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
