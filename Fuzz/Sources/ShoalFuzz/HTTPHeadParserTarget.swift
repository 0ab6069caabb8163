import NIOHTTP1
import ShoalHTTP

/// The epoll engine's request-head parser (`HTTPRequestHeadParser`) and chunked-body skipper on raw bytes.
/// Invariants: a head's length is within the input and its request line within the limit; feeding the input in
/// two pieces (as a socket may) gives the same outcome once the whole head is there; an input with no head over
/// the limit is refused, never left waiting; the skipper consumes no more than it was given.
///
/// Input: the bytes a client sends (head, then body bytes for the skipper).
enum HTTPHeadParserTarget {
    static let parser = HTTPRequestHeadParser(maxHeaderBytes: 1024, maxHeaderCount: 16)

    static func describe(_ outcome: HTTPRequestHeadParser.Outcome) -> String {
        switch outcome {
        case .incomplete: "incomplete"
        case let .refused(status): "refused \(status.code)"
        case let .head(head, length, body): "head \(head.method) \(head.uri) \(head.version) \(head.headers.count) \(length) \(body)"
        }
    }

    static func run(_ data: [UInt8]) {
        let whole = data.withUnsafeBytes { parser.parse($0) }
        switch whole {
        case let .head(_, length, body):
            invariant(length <= data.count && length > 0, "head length \(length) of \(data.count) bytes")
            if case let .length(count) = body { invariant(count > 0, "a zero length body is framed as none") }
            let rest = Array(data[length...])
            var skipper = ChunkedBodySkipper()
            switch rest.withUnsafeBytes({ skipper.skip($0) }) {
            case let .ended(count): invariant(count <= rest.count, "the skipper took \(count) of \(rest.count) bytes")
            case .consumed, .invalid: break
            }
        case .incomplete:
            // Blank lines before the head and the head itself each stay under the limit, or the input is refused.
            invariant(data.count <= 2 * parser.maxHeaderBytes, "\(data.count) bytes left incomplete")
        case .refused:
            break
        }
        // The same bytes in two reads: the first piece alone may be incomplete, the whole must agree.
        let cut = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
        let first = Array(data[..<cut])
        let early = first.withUnsafeBytes { parser.parse($0) }
        if case let .head(_, length, _) = early {
            invariant(length <= cut, "a head longer than its bytes")
            if case let .head(_, wholeLength, _) = whole { invariant(wholeLength == length, "the head's length changed with more bytes") }
        }
        invariant(describe(data.withUnsafeBytes { parser.parse($0) }) == describe(whole), "parsing is not deterministic")
    }
}
