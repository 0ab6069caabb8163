public import NIOCore
public import NIOHTTP1

extension HTTPServerResponse {
    /// The head the layer sends for this response to `request` (either engine: NIO's or the web node's epoll one):
    /// `Content-Length` set unless the status forbids a body (a HEAD answer keeps the responder's own), `Connection`
    /// as decided; and whether body bytes follow. The headers move into the head (the responder's copy is the only
    /// one, so they are changed in place).
    public mutating func takeHead(for request: HTTPRequestHead, keepAlive: Bool) -> (head: HTTPResponseHead, sendsBody: Bool) {
        var headers = HTTPHeaders()
        swap(&headers, &self.headers)
        let isHead = request.method == .HEAD
        if status.mayHaveBody {
            if !isHead || !headers.contains(name: "Content-Length") {
                headers.replaceOrAdd(name: "Content-Length", value: String(bodyLength))
            }
        } else {
            headers.remove(name: "Content-Length")
        }
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        return (HTTPResponseHead(version: request.version, status: status, headers: headers), !isHead && status.mayHaveBody)
    }
}

extension HTTPResponseHead {
    /// Writes the status line and header fields as HTTP/1.1 bytes, ending with the empty line.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}
