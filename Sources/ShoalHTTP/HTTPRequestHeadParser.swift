#if canImport(Glibc)
import Glibc
#endif
public import NIOHTTP1

/// Parses one HTTP/1.1 request head from raw bytes (RFC 9112 §2–§6), for servers that read sockets without
/// NIO's decoder (the web node's epoll engine). Pure: bytes in, a head or a refusal out; nothing is allocated
/// before the whole head has arrived. The refusals are those of the NIO path: 414 for a request line over
/// `maxHeaderBytes`, 431 for the rest of a head over it or more than `maxHeaderCount` fields, 400 for a method
/// that is no token, obsolete line folding, a field line without a colon or with space before it, a bad or
/// conflicting `Content-Length`, `Transfer-Encoding` together with `Content-Length` (§6.3) or not ending in
/// chunked, 501 for a method token NIO's parser does not know (one NIO's `HTTPMethod` has no case for), 505 for
/// a version other than HTTP/1.0 and 1.1. Bare LF line ends are accepted, as llhttp does.
public struct HTTPRequestHeadParser: Sendable {
    /// The most bytes of a request head (request line included).
    public let maxHeaderBytes: Int
    /// The most header fields of one head.
    public let maxHeaderCount: Int

    public init(maxHeaderBytes: Int, maxHeaderCount: Int = 128) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }

    /// How the body after a head is framed.
    public enum BodyFraming: Sendable, Hashable {
        case none
        case length(Int)
        case chunked
    }

    /// The result of looking at the bytes received so far.
    public enum Outcome: Sendable {
        /// No whole head yet (and nothing wrong so far).
        case incomplete
        /// A head of `length` bytes (its empty line included) and how its body is framed.
        case head(HTTPRequestHead, length: Int, body: BodyFraming)
        /// The head is refused with this status; the connection answers it and closes.
        case refused(HTTPResponseStatus)
    }

    /// Looks for a whole head at the start of `bytes`. Blank lines before a request line are skipped
    /// (RFC 9112 §2.2) and counted in the length.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var start = 0
        while start < bytes.count, bytes[start] == 0x0D || bytes[start] == 0x0A { start += 1 }
        if start > maxHeaderBytes { return .refused(.badRequest) }
        guard start < bytes.count else { return .incomplete }
        guard let end = Self.headEnd(bytes, from: start) else {
            if bytes.count - start > maxHeaderBytes {
                let lineEnd = RequestLineScanner.lineFeed(in: bytes, from: start)
                return .refused(lineEnd.map { $0 - start > maxHeaderBytes + 1 } ?? true ? .uriTooLong : .requestHeaderFieldsTooLarge)
            }
            return .incomplete
        }
        return parseHead(bytes, start: start, end: end)
    }

    /// The index just past the empty line that ends the head starting at `start`, if it has arrived.
    static func headEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while let lf = RequestLineScanner.lineFeed(in: bytes, from: index) {
            let next = lf + 1
            if next < bytes.count, bytes[next] == 0x0A { return next + 1 }
            if next + 1 < bytes.count, bytes[next] == 0x0D, bytes[next + 1] == 0x0A { return next + 2 }
            if next + 1 >= bytes.count, next < bytes.count, bytes[next] == 0x0D { return nil }
            index = next
        }
        return nil
    }

    private func parseHead(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> Outcome {
        var lines = LineReader(bytes: bytes, position: start, end: end)
        guard let requestLine = lines.next() else { return .refused(.badRequest) }
        if requestLine.count > maxHeaderBytes { return .refused(.uriTooLong) }
        if end - start > maxHeaderBytes { return .refused(.requestHeaderFieldsTooLarge) }
        // method SP request-target SP HTTP-version
        guard let firstSpace = requestLine.firstIndex(of: 0x20, in: bytes), firstSpace > requestLine.lowerBound else {
            return .refused(.badRequest)
        }
        for i in requestLine.lowerBound..<firstSpace where !RequestLineScanner.isTokenCharacter(bytes[i]) { return .refused(.badRequest) }
        let afterMethod = firstSpace + 1
        guard let secondSpace = (afterMethod..<requestLine.upperBound).firstIndex(of: 0x20, in: bytes), secondSpace > afterMethod else {
            return .refused(.badRequest)
        }
        for i in afterMethod..<secondSpace {
            let byte = bytes[i]
            if byte <= 0x20 || byte == 0x7F { return .refused(.badRequest) }
        }
        let versionRange = (secondSpace + 1)..<requestLine.upperBound
        guard let version = Self.version(bytes, versionRange) else {
            return Self.looksLikeVersion(bytes, versionRange) ? .refused(.httpVersionNotSupported) : .refused(.badRequest)
        }
        var headers: [(String, String)] = []
        var contentLength: Int?
        var transferEncoding: String?
        while let line = lines.next() {
            if line.isEmpty { break }
            let first = bytes[line.lowerBound]
            if first == 0x20 || first == 0x09 { return .refused(.badRequest) }  // obs-fold (§5.2)
            guard let colon = line.firstIndex(of: UInt8(ascii: ":"), in: bytes), colon > line.lowerBound else { return .refused(.badRequest) }
            for i in line.lowerBound..<colon where !RequestLineScanner.isTokenCharacter(bytes[i]) { return .refused(.badRequest) }
            var valueStart = colon + 1, valueEnd = line.upperBound
            while valueStart < valueEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            for i in valueStart..<valueEnd {
                let byte = bytes[i]
                if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return .refused(.badRequest) }
            }
            guard headers.count < maxHeaderCount else { return .refused(.requestHeaderFieldsTooLarge) }
            let name = Self.string(bytes, line.lowerBound..<colon)
            let value = Self.string(bytes, valueStart..<valueEnd)
            if Self.equalsIgnoringCase(bytes, line.lowerBound..<colon, "content-length") {
                // A list of equal values is one value (RFC 9110 §8.6); anything else is refused.
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let trimmed = Self.trimmed(item)
                    guard !trimmed.isEmpty, trimmed.utf8.count <= 18, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                          let length = Int(trimmed) else { return .refused(.badRequest) }
                    if let contentLength, contentLength != length { return .refused(.badRequest) }
                    contentLength = length
                }
            } else if Self.equalsIgnoringCase(bytes, line.lowerBound..<colon, "transfer-encoding") {
                transferEncoding = transferEncoding.map { $0 + ", " + value } ?? value
            }
            headers.append((name, value))
        }
        let body: BodyFraming
        if let transferEncoding {
            guard contentLength == nil, version == .http1_1 else { return .refused(.badRequest) }
            let last = transferEncoding.split(separator: ",").last.map { Self.trimmed($0).lowercased() }
            guard last == "chunked" else { return .refused(.badRequest) }
            body = .chunked
        } else if let contentLength, contentLength > 0 {
            body = .length(contentLength)
        } else {
            body = .none
        }
        let method = HTTPMethod(rawValue: Self.string(bytes, requestLine.lowerBound..<firstSpace))
        // A token NIO's parser (llhttp) does not know is its parse error there: 501 and the connection closes.
        if case .RAW = method { return .refused(.notImplemented) }
        let head = HTTPRequestHead(version: version, method: method, uri: Self.string(bytes, afterMethod..<secondSpace),
                                   headers: HTTPHeaders(headers))
        return .head(head, length: end, body: body)
    }

    /// `text` without leading and trailing spaces and tabs.
    static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    static func version(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPVersion? {
        guard range.count == 8, looksLikeVersion(bytes, range), bytes[range.lowerBound + 5] == UInt8(ascii: "1") else { return nil }
        switch bytes[range.lowerBound + 7] {
        case UInt8(ascii: "1"): return .http1_1
        case UInt8(ascii: "0"): return .http1_0
        default: return nil
        }
    }

    /// `HTTP/d.d`: a version, supported or not.
    static func looksLikeVersion(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard range.count == 8 else { return false }
        let prefix: [UInt8] = Array("HTTP/".utf8)
        for (offset, byte) in prefix.enumerated() where bytes[range.lowerBound + offset] != byte { return false }
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        return isDigit(bytes[range.lowerBound + 5]) && bytes[range.lowerBound + 6] == UInt8(ascii: ".") && isDigit(bytes[range.lowerBound + 7])
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// ASCII case-insensitive comparison with a lowercase name.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for i in 0..<range.count where bytes[range.lowerBound + i] | 0x20 != expected[i] { return false }
        return true
    }

    /// The lines of a head without their CR LF or LF.
    struct LineReader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int

        mutating func next() -> Range<Int>? {
            guard position < end, let lf = RequestLineScanner.lineFeed(in: bytes, from: position), lf < end else { return nil }
            var lineEnd = lf
            if lineEnd > position, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { position = lf + 1 }
            return position..<lineEnd
        }
    }
}

extension Range where Bound == Int {
    /// The first index in the range whose byte is `byte`.
    func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer) -> Int? {
        for i in self where bytes[i] == byte { return i }
        return nil
    }
}

/// Follows a chunked request body (RFC 9112 §7.1) to its end without keeping it: how many of the bytes given
/// belong to the body, and whether it ended. A static server reads and drops request bodies; pure, for the
/// epoll engine and its tests.
public struct ChunkedBodySkipper: Sendable {
    enum State: Sendable { case size, extensions, sizeLF, data(Int), dataCR, dataLF, trailer(Int), finalLF }

    private var state = State.size
    private var size = 0
    private var sizeDigits = 0
    /// Body bytes seen (chunk data only).
    public private(set) var dataBytes = 0

    public init() {}

    /// The result of one call.
    public enum Outcome: Sendable, Hashable {
        /// Every byte given belongs to the body; more is to come.
        case consumed
        /// The body ended after this many of the bytes given.
        case ended(Int)
        /// The framing is broken.
        case invalid
    }

    public mutating func skip(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch state {
            case .size:
                if let digit = Self.hexValue(byte) {
                    sizeDigits += 1
                    guard sizeDigits <= 15 else { return .invalid }
                    size = size << 4 | digit
                } else if sizeDigits > 0, byte == 0x3B || byte == 0x20 || byte == 0x09 {
                    state = .extensions
                } else if sizeDigits > 0, byte == 0x0D {
                    state = .sizeLF
                } else if sizeDigits > 0, byte == 0x0A {
                    sizeDone()
                } else {
                    return .invalid
                }
            case .extensions:
                if byte == 0x0D { state = .sizeLF } else if byte == 0x0A { sizeDone() }
            case .sizeLF:
                guard byte == 0x0A else { return .invalid }
                sizeDone()
            case let .data(left):
                let take = Swift.min(left, bytes.count - i)
                dataBytes += take
                i += take
                state = left - take == 0 ? .dataCR : .data(left - take)
                continue
            case .dataCR:
                if byte == 0x0D { state = .dataLF } else if byte == 0x0A { state = .size } else { return .invalid }
            case .dataLF:
                guard byte == 0x0A else { return .invalid }
                state = .size
            case let .trailer(length):
                // Trailer lines are skipped; an empty line ends the body.
                if byte == 0x0A {
                    if length == 0 { return .ended(i + 1) }
                    state = .trailer(0)
                } else if byte == 0x0D, length == 0 {
                    state = .finalLF
                } else {
                    state = .trailer(length + 1)
                }
            case .finalLF:
                guard byte == 0x0A else { return .invalid }
                return .ended(i + 1)
            }
            i += 1
        }
        return .consumed
    }

    private mutating func sizeDone() {
        state = size == 0 ? .trailer(0) : .data(size)
        size = 0
        sizeDigits = 0
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
