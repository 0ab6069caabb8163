import NIOCore

/// Below the HTTP encoder on TLS connections: joins the byte buffers written before a flush (a response's head
/// and a small body) into one, up to one TLS record (16 KiB), so each becomes one `SSL_write` and one record
/// instead of one per part. File regions and larger writes pass through in order. Explicitly not `Sendable`:
/// it lives on its channel's event loop.
final class HTTPWriteCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    static let limit = 16 * 1024
    private var pending: ByteBuffer?
    private var promises: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case var .byteBuffer(buffer) = unwrapOutboundIn(data), buffer.readableBytes <= Self.limit else {
            emit(context)
            return context.write(data, promise: promise)
        }
        if var joined = pending, joined.readableBytes + buffer.readableBytes <= Self.limit {
            pending = nil  // one reference while appending, so the buffer grows in place
            joined.writeBuffer(&buffer)
            pending = joined
        } else {
            emit(context)
            pending = buffer
        }
        if let promise { promises.append(promise) }
    }

    func flush(context: ChannelHandlerContext) {
        emit(context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        emit(context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        emit(context)
    }

    /// Writes what is joined so far, completing every joined write's promise with it.
    private func emit(_ context: ChannelHandlerContext) {
        guard let buffer = pending else { return }
        pending = nil
        let waiting = promises
        promises = []
        switch waiting.count {
        case 0: context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        case 1: context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: waiting[0])
        default:
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { result in
                for promise in waiting { promise.completeWith(result) }
            }
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: written)
        }
    }
}
