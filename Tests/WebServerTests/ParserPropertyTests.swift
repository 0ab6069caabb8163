import Testing
import WebServer
import ShoalTestFixtures

/// Seeded random inputs built from the tokens that matter (the same invariants as the `web-request` fuzz
/// target, run in the test suite): accepted paths never climb out, ranges stay inside and never overlap.
@Suite(.offCooperativePool) struct ParserPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure replays.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pathTokens = ["/", "/", "a", "b.txt", ".", "..", "%2e", "%2E", "%2f", "%252e", "%5c", "\\", "%00", "%", "%zz", "?", "#",
                             ".git", ".well-known", "caf%C3%A9", "%ff", "//", "http://h", "~", " "]
    static let rangeTokens = ["bytes=", "bytes=", "0", "1", "9", "99999999999999999999", "-", "-", ",", " ", "x", "=", "BYTES="]

    @Test func acceptedPathsStayInsideTheRoot() {
        var random = SplitMix(state: 14)
        for _ in 0..<20_000 {
            let target = (0..<Int.random(in: 1...10, using: &random)).map { _ in Self.pathTokens.randomElement(using: &random)! }.joined()
            for policy in [RequestPath.DotfilePolicy.deny, .allow] {
                guard let path = try? RequestPath(target: target, dotfiles: policy) else { continue }
                #expect(!path.segments.contains(".."), "\(target)")
                #expect(!path.segments.contains { $0.isEmpty || $0 == "." || $0.contains("/") || $0.contains("\\") || $0.utf8.contains(0) }, "\(target)")
                if policy == .deny { #expect(!path.segments.contains { $0.hasPrefix(".") && $0 != ".well-known" }, "\(target)") }
                #expect((try? RequestPath(target: path.encoded, dotfiles: policy))?.segments == path.segments, "\(target)")
            }
        }
    }

    @Test func resolvedRangesAreInsideSortedAndApart() {
        var random = SplitMix(state: 9110)
        for _ in 0..<20_000 {
            let header = (0..<Int.random(in: 1...12, using: &random)).map { _ in Self.rangeTokens.randomElement(using: &random)! }.joined()
            guard let request = ByteRangeRequest(header: header) else { continue }
            for length in [Int64(1), 10, 1000, Int64.max] {
                guard case let .partial(ranges) = request.resolve(length: length, maximumRanges: 3) else { continue }
                #expect(!ranges.isEmpty && ranges.count <= 3, "\(header)")
                for (index, range) in ranges.enumerated() {
                    #expect(range.lowerBound >= 0 && range.upperBound < length, "\(header) \(length)")
                    if index > 0 { #expect(ranges[index - 1].upperBound + 1 < range.lowerBound, "\(header)") }
                }
            }
        }
    }
}
