import Testing
import WebServer

/// Range headers: parsing (single, open, suffix, lists, junk) and resolution (clamping, coalescing, caps, 416).
@Suite struct ByteRangesTests {
    @Test func parsesTheThreeForms() {
        #expect(ByteRangeRequest(header: "bytes=0-99")?.specs == [.closed(first: 0, last: 99)])
        #expect(ByteRangeRequest(header: "bytes=100-")?.specs == [.from(first: 100)])
        #expect(ByteRangeRequest(header: "bytes=-50")?.specs == [.suffix(count: 50)])
        #expect(ByteRangeRequest(header: "BYTES= 0-1 , 5-6,,-1")?.specs == [.closed(first: 0, last: 1), .closed(first: 5, last: 6), .suffix(count: 1)])
    }

    @Test(arguments: ["", "bytes=", "bytes=abc", "bytes=5-1", "bytes=-", "items=0-1", "bytes=1-2-3", "bytes=0x1-2", "bytes=+1-2", "bytes=1 -2x"])
    func invalidHeadersAreIgnored(header: String) {
        #expect(ByteRangeRequest(header: header) == nil)
    }

    @Test func hugeNumbersSaturateInsteadOfTrapping() {
        let request = ByteRangeRequest(header: "bytes=0-99999999999999999999999999")
        #expect(request?.specs == [.closed(first: 0, last: Int64.max)])
        #expect(request?.resolve(length: 10, maximumRanges: 4) == .partial([0...9]))
        #expect(ByteRangeRequest(header: "bytes=99999999999999999999999-")?.resolve(length: 10, maximumRanges: 4) == .unsatisfiable)
    }

    @Test func tooManySpecsIgnoreTheHeader() {
        let many = "bytes=" + (0..<(ByteRangeRequest.maximumSpecs + 1)).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ",")
        #expect(ByteRangeRequest(header: many) == nil)
    }

    @Test func resolvesAgainstTheLength() {
        func resolve(_ header: String, _ length: Int64 = 1000, max: Int = 16) -> ByteRangeRequest.Resolution? {
            ByteRangeRequest(header: header)?.resolve(length: length, maximumRanges: max)
        }
        #expect(resolve("bytes=0-99") == .partial([0...99]))
        #expect(resolve("bytes=900-2000") == .partial([900...999]))
        #expect(resolve("bytes=990-") == .partial([990...999]))
        #expect(resolve("bytes=-10") == .partial([990...999]))
        #expect(resolve("bytes=-5000") == .partial([0...999]))
        #expect(resolve("bytes=1000-") == .unsatisfiable)
        #expect(resolve("bytes=-0") == .unsatisfiable)
        #expect(resolve("bytes=0-0", 0) == .unsatisfiable)
        #expect(resolve("bytes=2000-3000,0-0") == .partial([0...0]))
    }

    @Test func overlappingAndAdjacentRangesCoalesce() {
        func resolve(_ header: String, max: Int = 16) -> ByteRangeRequest.Resolution? {
            ByteRangeRequest(header: header)?.resolve(length: 1000, maximumRanges: max)
        }
        #expect(resolve("bytes=0-10,5-20") == .partial([0...20]))
        #expect(resolve("bytes=0-10,11-20") == .partial([0...20]))
        #expect(resolve("bytes=50-60,0-10") == .partial([0...10, 50...60]))
        #expect(resolve("bytes=0-,0-,0-,0-,0-") == .partial([0...999]))
        #expect(resolve("bytes=0-0,2-2,4-4", max: 2) == .whole)
        #expect(resolve("bytes=0-0,2-2", max: 2) == .partial([0...0, 2...2]))
    }
}
