public import NIOCore
public import NIOHTTP1

/// Answers the requests of one HTTP/1.1 server: first on the head alone (before any body byte is read), then
/// on the whole request.
///
/// Responders are shared by every connection, so they are `Sendable`; the channel handlers that call them are not.
public protocol HTTPResponder: Sendable {
    /// Looks at a request head before its body is read. A response returned here is sent at once and the
    /// body is never handed over (it is discarded, or the connection closes); nil lets the request through.
    /// Use it for authentication, so an unauthenticated client cannot make the server buffer a body.
    func screen(_ head: HTTPRequestHead) -> HTTPServerResponse?

    /// Answers one whole request (body collected and capped). Never throws: failures are error responses.
    /// It starts on the connection's event loop (`Task.immediate`) and stays there until its first
    /// suspension, so it must not block: hand blocking work to a thread pool and await it.
    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse

    /// Answers a whole request on the event loop without a task, when it can do so without blocking (a cache
    /// hit); nil sends the request to ``respond(to:)``. By default nil.
    func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse?

    /// The answer the layer itself gives (413 body too large, 408 body too slow), in the responder's format.
    func errorResponse(_ status: HTTPResponseStatus, message: String) -> HTTPServerResponse
}

extension HTTPResponder {
    /// Lets every head through.
    public func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? { nil }

    public func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? { nil }

    /// Plain text: the message and a newline.
    public func errorResponse(_ status: HTTPResponseStatus, message: String) -> HTTPServerResponse {
        .text(status, message + "\n")
    }
}

/// One whole HTTP request: the head and the collected body.
public struct HTTPServerRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer
    /// The client's address (for access logs), when the channel knows it.
    public var remoteAddress: SocketAddress?
    /// The client connection's event loop (a CONNECT tunnel's server connection must be opened on it).
    public var eventLoop: (any EventLoop)?

    public init(head: HTTPRequestHead, body: ByteBuffer = ByteBuffer(), remoteAddress: SocketAddress? = nil, eventLoop: (any EventLoop)? = nil) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
        self.eventLoop = eventLoop
    }
}

/// One whole HTTP response. The layer sets `Content-Length` (unless the status forbids a body),
/// `Connection`, and drops the body of answers to HEAD. A `file` body, when set, is sent instead of `body`; a
/// `stream` body instead of either.
public struct HTTPServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// A body streamed from an open file (sendfile over plain TCP); the layer closes its handle.
    public var file: HTTPFileBody?
    /// A body written as it arrives (a cache fill); a failure part-way closes the connection.
    public var stream: HTTPStreamedBody?
    /// With a 2xx status (a CONNECT answer): after the head, the connection becomes a byte splice to this tunnel.
    public var tunnel: HTTPTunnel?

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer(), file: HTTPFileBody? = nil,
                stream: HTTPStreamedBody? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.file = file
        self.stream = stream
    }

    /// The number of body bytes a GET would receive.
    public var bodyLength: Int64 { stream?.length ?? file?.length ?? Int64(body.readableBytes) }

    /// A plain-text response (`text/plain; charset=utf-8`).
    public static func text(_ status: HTTPResponseStatus, _ text: String) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: ByteBuffer(string: text))
    }
}

/// The far end of a CONNECT tunnel: a connection opened on the client connection's event loop
/// (``HTTPServerRequest/eventLoop``), spliced to the client once the 2xx head is written, and closed by the layer
/// when the answer cannot be delivered. Either side idle for `idleTimeout` closes both.
public struct HTTPTunnel: Sendable {
    public let channel: any Channel
    public let idleTimeout: TimeAmount

    public init(channel: any Channel, idleTimeout: TimeAmount) {
        self.channel = channel
        self.idleTimeout = idleTimeout
    }
}
