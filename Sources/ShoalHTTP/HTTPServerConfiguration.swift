public import NIOCore

/// Limits and timeouts of one HTTP/1.1 server; every field has a default.
public struct HTTPServerConfiguration: Sendable {
    /// The most bytes of header names and values in one request head; more is answered 400 and closed.
    public var maxHeaderBytes: Int
    /// Request bodies larger than this are answered 413.
    public var maxBodyBytes: Int
    /// After an early answer (413, or a refusal by `screen`), the most body bytes read and discarded so the
    /// client can read the answer; past it the connection closes.
    public var maxDrainBytes: Int
    /// How long a client may take to send a whole request head, from its first byte (or from the accept).
    public var headerReadTimeout: TimeAmount
    /// How long a client may take to send a whole request body, from the end of its head; then 408 and close.
    public var bodyReadTimeout: TimeAmount
    /// How long a kept-alive connection may wait for the first byte of its next request.
    public var idleTimeout: TimeAmount
    /// After this many requests the connection answers with `Connection: close`.
    public var maxRequestsPerConnection: Int
    /// Connections over this many at once are answered 503 and closed.
    public var maxConnections: Int
    /// How long a response may go without the client taking any of it (the connection then closes).
    public var sendTimeout: TimeAmount
    /// File bodies go out as `FileRegion`s (sendfile); false over TLS, where they are read in chunks instead and
    /// the parts of a response are joined into TLS-record-sized writes (`HTTPWriteCoalescer`).
    public var sendsFileRegions: Bool
    /// Every response header is checked for bytes a field may not hold (CR, LF, NUL, ...) before it is written, as
    /// NIO does by default. A responder whose header values are all its own or already checked (the web node) can
    /// turn it off: the check costs a few thousand instructions per response.
    public var validatesResponseHeaders: Bool

    public init(maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 1024 * 1024, maxDrainBytes: Int = 4 * 1024 * 1024,
                headerReadTimeout: TimeAmount = .seconds(10), bodyReadTimeout: TimeAmount = .seconds(30),
                idleTimeout: TimeAmount = .seconds(60), maxRequestsPerConnection: Int = 1000, maxConnections: Int = 1024,
                sendTimeout: TimeAmount = .seconds(60), sendsFileRegions: Bool = true, validatesResponseHeaders: Bool = true) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxDrainBytes = maxDrainBytes
        self.headerReadTimeout = headerReadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.idleTimeout = idleTimeout
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.maxConnections = maxConnections
        self.sendTimeout = sendTimeout
        self.sendsFileRegions = sendsFileRegions
        self.validatesResponseHeaders = validatesResponseHeaders
    }
}
