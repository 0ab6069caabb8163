import Crypto
public import NIOCore
public import ShoalCore

/// An HTTP check: one HTTP/1.0 GET with `Connection: close`, then status, body substring and MD5 digest.
///
/// The head is capped at ``maximumHeadBytes`` and the body at ``maximumBodyBytes``; the body is read only
/// when a substring or digest must be checked.
public struct HTTPConversation: StreamConversation {
    public static let maximumHeadBytes = 16 * 1024
    public static let maximumBodyBytes = 1024 * 1024

    let check: HTTPCheck
    let request: [UInt8]
    var status: Int?
    var contentLength: Int?
    var body: [UInt8] = []
    var finished = false

    public init(check: HTTPCheck, target: Endpoint) {
        self.check = check
        let host = check.virtualhost ?? target.description
        request = Array("GET \(check.path) HTTP/1.0\r\nHost: \(host)\r\nUser-Agent: shoal-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
    }

    public func opened() -> ConversationStep { ConversationStep(send: request) }

    public mutating func received(_ buffer: inout ByteBuffer) -> ConversationStep {
        guard !finished else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .wait
        }
        if status == nil {
            let view = buffer.readableBytesView
            guard let end = Self.headEnd(view) else {
                if view.count > Self.maximumHeadBytes { return finish(.down("response head over \(Self.maximumHeadBytes) bytes")) }
                return .wait
            }
            guard end <= Self.maximumHeadBytes else { return finish(.down("response head over \(Self.maximumHeadBytes) bytes")) }
            let head = Array(view.prefix(end))
            buffer.moveReaderIndex(forwardBy: end + 4)
            if let verdict = parseHead(head) { return finish(verdict) }
            if !check.needsBody { return finish(evaluate()) }
        }
        let chunk = buffer.readableBytesView
        buffer.moveReaderIndex(to: buffer.writerIndex)
        body.append(contentsOf: chunk)
        if body.count > Self.maximumBodyBytes { return finish(.down("response body over \(Self.maximumBodyBytes) bytes")) }
        if let contentLength, body.count >= contentLength {
            body.removeLast(body.count - contentLength)
            return finish(evaluate())
        }
        return .wait
    }

    public mutating func closed() -> Verdict {
        guard status != nil else { return .down("connection closed without a response") }
        if let contentLength, body.count < contentLength {
            return .down("body truncated (\(body.count) of \(contentLength) bytes)")
        }
        return evaluate()
    }

    mutating func finish(_ verdict: Verdict) -> ConversationStep {
        finished = true
        return .finish(verdict)
    }

    /// The offset of the CR LF CR LF that ends the head, if it arrived.
    static func headEnd(_ view: ByteBufferView) -> Int? {
        let bytes = Array(view.prefix(maximumHeadBytes + 4))
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Reads the status line and the Content-Length; a verdict when the head is malformed.
    mutating func parseHead(_ head: [UInt8]) -> Verdict? {
        let lines = head.split(separator: 10, omittingEmptySubsequences: false).map { line in
            line.last == 13 ? Array(line.dropLast()) : Array(line)
        }
        let statusLine = lines.first ?? []
        let text = String(decoding: statusLine, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]),
              (100...599).contains(code) else {
            return (.down("malformed status line '\(CheckText.quote(statusLine))'"))
        }
        status = code
        for line in lines.dropFirst() {
            let header = String(decoding: line, as: UTF8.self)
            guard let colon = header.firstIndex(of: ":") else { continue }
            let name = header[..<colon].lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: " ")
            if name == "content-length" {
                guard let length = Int(value), length >= 0 else {
                    return (.down("malformed Content-Length '\(CheckText.quote(String(value)))'"))
                }
                contentLength = length
            }
        }
        return nil
    }

    /// The verdict for a complete response.
    func evaluate() -> Verdict {
        guard let status else { return .down("no response") }
        guard check.status.contains(status) else { return .down("HTTP \(status) (want \(check.status))") }
        if let wanted = check.body {
            if !Self.contains(body, Array(wanted.utf8)) { return .down("body lacks '\(CheckText.quote(wanted))'") }
        }
        if let digest = check.digest {
            let got = Insecure.MD5.hash(data: body).map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
            if got != digest { return .down("digest mismatch (got \(got), want \(digest))") }
        }
        return .up("HTTP \(status)")
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
