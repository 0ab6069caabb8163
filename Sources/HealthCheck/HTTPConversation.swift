import Crypto
public import NIOCore
public import NIOHTTP1
public import ShoalCore

/// An HTTP check as a pure state machine over NIOHTTP1's decoded response parts: one HTTP/1.0 GET with
/// `Connection: close`, then status, body substring and MD5 digest.
///
/// The bytes are parsed by NIOHTTP1's `HTTPResponseDecoder` (llhttp) with ``decoderLimits``; this type only
/// judges what it decodes. The body is kept only when a substring or digest must be checked, up to
/// ``maximumBodyBytes``.
public struct HTTPConversation: Sendable {
    public static let maximumHeadBytes = 16 * 1024
    public static let maximumBodyBytes = 1024 * 1024

    /// The decoder's limits: the response head (all header lines) within ``maximumHeadBytes``.
    public static var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maximumHeadBytes
        limits.maxHeaderListSize = maximumHeadBytes
        limits.maxHeaderFieldCount = 256
        return limits
    }

    /// Adds NIOHTTP1's request encoder and response decoder (1xx responses dropped, limits above) to a pipeline.
    ///
    /// The decoder learns the request method from the request head written through it, so the conversation's
    /// ``requestHead`` must be written as an `HTTPClientRequestPart`.
    public static func addCodec(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(HTTPRequestEncoder())
        try pipeline.addHandler(ByteToMessageHandler(HTTPResponseDecoder(
            leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits)))
    }

    let check: HTTPCheck
    /// The request to send once connected (then `.end`): an HTTP/1.0 GET with `Connection: close`.
    public let requestHead: HTTPRequestHead
    var status: Int?
    var contentLength: Int?
    var body: [UInt8] = []

    public init(check: HTTPCheck, target: Endpoint) {
        self.check = check
        let host = check.virtualhost ?? target.description
        requestHead = HTTPRequestHead(version: .http1_0, method: .GET, uri: check.path, headers: [
            "Host": host, "User-Agent": "shoal-healthcheck", "Accept": "*/*", "Connection": "close",
        ])
    }

    /// A decoded part arrived; a verdict once the response is judged.
    public mutating func received(_ part: HTTPClientResponsePart) -> Verdict? {
        switch part {
        case let .head(head):
            guard status == nil else { return nil }
            let code = Int(head.status.code)
            guard (100...599).contains(code) else { return .down("malformed status code \(code)") }
            status = code
            if let text = head.headers.first(name: "content-length") {
                guard let length = Int(text), length >= 0 else { return .down("malformed Content-Length '\(CheckText.quote(text))'") }
                contentLength = length
            }
            return check.needsBody ? nil : evaluate()
        case let .body(chunk):
            guard body.count + chunk.readableBytes <= Self.maximumBodyBytes else {
                return .down("response body over \(Self.maximumBodyBytes) bytes")
            }
            body.append(contentsOf: chunk.readableBytesView)
            return nil
        case .end:
            return evaluate()
        }
    }

    /// The decoder refused the bytes (or the connection ended mid-body).
    public func failed(_ error: any Error) -> Verdict {
        if status != nil, let contentLength, body.count < contentLength, let parse = error as? HTTPParserError, parse == .invalidEOFState {
            return .down("body truncated (\(body.count) of \(contentLength) bytes)")
        }
        if let parse = error as? HTTPParserError, parse == .headerOverflow {
            return .down("response head over \(Self.maximumHeadBytes) bytes")
        }
        return .down("malformed HTTP response (\(error))")
    }

    /// The peer closed before the response was complete.
    public func closed() -> Verdict {
        guard status != nil else { return .down("connection closed without a response") }
        if let contentLength, body.count < contentLength {
            return .down("body truncated (\(body.count) of \(contentLength) bytes)")
        }
        return .down("connection closed before the end of the response")
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
