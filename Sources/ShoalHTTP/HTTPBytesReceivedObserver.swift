import NIOCore

/// What ``HTTPBytesReceivedObserver`` tells of every read (the connection handler, called directly rather than
/// through a pipeline event, which every handler in between would have to look at and cast).
protocol HTTPRequestBytesListener: AnyObject {
    /// Request bytes arrived; the decoder has not seen them yet.
    func requestBytesArrived()
}

/// Sits in front of the HTTP decoder and announces every read, so the connection handler can tell a
/// kept-alive connection that idles from one that has started (slowly) sending its next head. It also follows
/// the request lines (``RequestLineScanner``) for the parse-error answer. Explicitly not `Sendable`: it lives on
/// its channel's event loop.
final class HTTPBytesReceivedObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private(set) var requestLines: RequestLineScanner
    /// Set by the connection handler while it is in the pipeline (it clears it when removed: no cycle remains).
    var listener: (any HTTPRequestBytesListener)?

    init(requestLineLimit: Int) {
        requestLines = RequestLineScanner(limit: requestLineLimit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        unwrapInboundIn(data).withUnsafeReadableBytes { requestLines.scan($0) }
        listener?.requestBytesArrived()
        context.fireChannelRead(data)
    }
}
