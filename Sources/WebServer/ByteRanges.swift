/// A `Range: bytes=...` header (RFC 9110 §14.1.2), parsed without regard to the representation's length.
/// Pure; parsing is linear in the header, allocates at most `maximumSpecs` entries and never traps.
public struct ByteRangeRequest: Sendable, Equatable {
    /// One range spec as written.
    public enum Spec: Sendable, Equatable {
        /// `first-last`
        case closed(first: Int64, last: Int64)
        /// `first-`
        case from(first: Int64)
        /// `-count`: the last `count` bytes.
        case suffix(count: Int64)
    }

    public var specs: [Spec]

    /// More specs than this and the header is not worth answering (it is ignored: a 200 follows).
    public static let maximumSpecs = 256

    public init(specs: [Spec]) { self.specs = specs }

    /// Parses a header value; nil when it is not a valid `bytes` range set (then the header is ignored).
    public init?(header: String) {
        var text = Substring(header).drop { $0 == " " || $0 == "\t" }
        guard text.count >= 6, text.prefix(6).lowercased() == "bytes=" else { return nil }
        text = text.dropFirst(6)
        var specs: [Spec] = []
        for rawSpec in text.split(separator: ",", omittingEmptySubsequences: false) {
            let spec = rawSpec.trimmingOWS()
            if spec.isEmpty { continue }  // RFC 9110 allows empty list elements
            guard specs.count < Self.maximumSpecs else { return nil }
            guard let dash = spec.firstIndex(of: "-") else { return nil }
            let firstText = spec[..<dash], lastText = spec[spec.index(after: dash)...]
            if firstText.isEmpty {
                guard let count = Self.number(lastText) else { return nil }
                specs.append(.suffix(count: count))
            } else {
                guard let first = Self.number(firstText) else { return nil }
                if lastText.isEmpty {
                    specs.append(.from(first: first))
                } else {
                    guard let last = Self.number(lastText), last >= first else { return nil }
                    specs.append(.closed(first: first, last: last))
                }
            }
        }
        guard !specs.isEmpty else { return nil }
        self.specs = specs
    }

    /// Digits only; saturates at `Int64.max` instead of overflowing.
    static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            value = o1 || o2 ? Int64.max : plus
        }
        return value
    }

    /// What to send for a representation of `length` bytes.
    public enum Resolution: Sendable, Equatable {
        /// Send the whole representation (200): too many ranges after coalescing.
        case whole
        /// Send these ranges (206); one range is a plain partial answer, several are multipart/byteranges.
        /// Sorted, non-overlapping, non-adjacent, each within the representation.
        case partial([ClosedRange<Int64>])
        /// No range overlaps the representation: 416 with `Content-Range: bytes */length`.
        case unsatisfiable
    }

    /// Resolves the specs against a length: unsatisfiable specs are dropped, the rest coalesced (overlapping
    /// or adjacent ranges merge). More than `maximumRanges` ranges after that is answered as a whole.
    public func resolve(length: Int64, maximumRanges: Int) -> Resolution {
        guard length > 0 else { return .unsatisfiable }
        var ranges: [ClosedRange<Int64>] = []
        for spec in specs {
            switch spec {
            case let .closed(first, last):
                if first < length { ranges.append(first...min(last, length - 1)) }
            case let .from(first):
                if first < length { ranges.append(first...(length - 1)) }
            case let .suffix(count):
                if count > 0 { ranges.append(max(0, length - count)...(length - 1)) }
            }
        }
        guard !ranges.isEmpty else { return .unsatisfiable }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = [ranges[0]]
        for range in ranges.dropFirst() {
            let last = merged[merged.count - 1]
            if range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged.count > maximumRanges ? .whole : .partial(merged)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingOWS() -> Substring {
        let start = drop { $0 == " " || $0 == "\t" }
        var end = start.endIndex
        while end > start.startIndex, start[start.index(before: end)] == " " || start[start.index(before: end)] == "\t" {
            end = start.index(before: end)
        }
        return start[start.startIndex..<end]
    }
}
