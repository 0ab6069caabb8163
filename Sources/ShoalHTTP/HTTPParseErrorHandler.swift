import NIOCore
import NIOHTTP1

/// Answers a request NIO's parser rejected, then lets the connection close: 431 when the head was over the
/// size cap, 400 otherwise (NIO's `HTTPServerProtocolErrorHandler` answers 400 to both). No answer when a
/// response is already part-way out. Explicitly not `Sendable`: it lives on its channel's event loop.
final class HTTPParseErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var hasUnterminatedResponse = false

    /// The status for a parser error.
    static func status(for error: HTTPParserError) -> HTTPResponseStatus {
        error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        // The decoder closes the channel right after this returns: write now, nothing delayed.
        if !hasUnterminatedResponse {
            let headers = HTTPHeaders([("Connection", "close"), ("Content-Length", "0")])
            let head = HTTPResponseHead(version: .http1_1, status: Self.status(for: parserError), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case let .head(head) where head.status.code < 200: break
        case .head: hasUnterminatedResponse = true
        case .body: break
        case .end: hasUnterminatedResponse = false
        }
        context.write(data, promise: promise)
    }
}
