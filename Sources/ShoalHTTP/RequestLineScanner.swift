#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1

/// Follows the request lines of a connection's bytes as they arrive, ahead of NIO's parser, which reports an
/// over-long target only as `headerOverflow` and an unknown method only as `invalidMethod`. With what it saw,
/// the parse-error answer can tell 414 (request line too long) from 431 (header fields too large), and 501 (a
/// method token the parser does not know) from 400 (not a token at all). Pure: bytes in, two flags out.
///
/// A request line is the first non-empty line of the connection or the first one after an empty line (the end
/// of a head). Body bytes after a head can look like a request line to it; the flags then only matter if the
/// parser fails as well, so a connection that uploads bodies can at worst get 414 for 431 or 400 for 501.
struct RequestLineScanner {
    /// A request line longer than this many bytes (without its line end) sets ``sawOverlongRequestLine``.
    let limit: Int
    /// Some request line went over ``limit``.
    private(set) var sawOverlongRequestLine = false
    /// Some request line started with something other than a method token followed by a space.
    private(set) var sawNonTokenMethod = false

    private var inRequestLine = true
    private var inMethod = true
    private var methodLength = 0
    private var lineLength = 0
    /// The last byte of the line so far was a CR (not counted in its length if an LF follows).
    private var lastByteWasCR = false

    init(limit: Int) {
        self.limit = limit
    }

    /// The answer to a request NIO's parser rejected: 414 for a request line over the cap, 431 for the rest of a
    /// head over it, 501 for a method token the parser does not know, 400 for anything else (a method that is no
    /// token among them).
    func status(for error: HTTPParserError) -> HTTPResponseStatus {
        switch error {
        case .headerOverflow: sawOverlongRequestLine ? .uriTooLong : .requestHeaderFieldsTooLarge
        case .invalidMethod: sawNonTokenMethod ? .badRequest : .notImplemented
        default: .badRequest
        }
    }

    /// Takes the next bytes read from the connection.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        while index < count {
            if inRequestLine, inMethod {
                index = scanMethod(bytes, from: index)
                if index >= count { return }
            }
            // The rest of the line: find its end without looking at each byte from Swift.
            let start = index
            let end = Self.lineFeed(in: bytes, from: start) ?? count
            if end > start { lastByteWasCR = bytes[end - 1] == UInt8(ascii: "\r") }
            lineLength += end - start
            if inRequestLine, lineLength - (lastByteWasCR ? 1 : 0) > limit { sawOverlongRequestLine = true }
            guard end < count else { return }
            let isEmpty = lineLength - (lastByteWasCR ? 1 : 0) == 0
            inRequestLine = isEmpty
            inMethod = isEmpty
            methodLength = 0
            lineLength = 0
            lastByteWasCR = false
            index = end + 1
        }
    }

    /// Checks the method's bytes up to the space after it; returns where the scan stopped (that space, the line
    /// end, or the end of the bytes). Stops checking at the first space, CR or LF.
    private mutating func scanMethod(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: " ") {
                if methodLength == 0 { sawNonTokenMethod = true }
                inMethod = false
                return index
            }
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                inMethod = false
                return index
            }
            if !Self.isTokenCharacter(byte) {
                sawNonTokenMethod = true
                inMethod = false
                return index
            }
            methodLength += 1
            lineLength += 1
            lastByteWasCR = false
            if lineLength > limit { sawOverlongRequestLine = true }
            index += 1
        }
        return index
    }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// The index of the first LF at or after `start`, if any.
    static func lineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, CInt(UInt8(ascii: "\n")), bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}
