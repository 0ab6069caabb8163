import Director
import NIOCore
import NIOHTTP1
import ShoalCore

/// One connection to a real server, held by the client connection that opened it.
final class HTTPBackendLink {
    let channel: any Channel
    let lease: ProxyLease
    let serviceKey: VirtualServiceKey
    var handler: HTTPBackendHandler?
    /// The server's last response allowed another request on this connection.
    var keepAlive = true
    /// Bytes not yet reported to the scheduler.
    var inBytes: UInt64 = 0
    var outBytes: UInt64 = 0
    var released = false
    /// The connection ended in an error (e.g. a reset): an end of message read after it is not trusted.
    var failed = false

    init(channel: any Channel, lease: ProxyLease, serviceKey: VirtualServiceKey) {
        self.channel = channel
        self.lease = lease
        self.serviceKey = serviceKey
    }

    var destination: Endpoint { lease.destination }

    /// Sends the traffic counted since the last report.
    func reportTraffic(to scheduler: any ConnectionScheduler) {
        guard inBytes > 0 || outBytes > 0 else { return }
        scheduler.traffic(lease, inBytes: inBytes, outBytes: outBytes)
        inBytes = 0
        outBytes = 0
    }

    /// Closes the connection and ends the lease (once).
    func release(to scheduler: any ConnectionScheduler) {
        guard !released else { return }
        released = true
        reportTraffic(to: scheduler)
        scheduler.closed(lease)
        handler?.detach()
        channel.close(promise: nil)
    }
}

/// The handler at the end of a server connection's pipeline: passes responses to the client side and
/// reads from the server only while the client can take more.
final class HTTPBackendHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private weak var link: HTTPBackendLink?
    private var owner: HTTPSwitchingHandler?
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(owner: HTTPSwitchingHandler, link: HTTPBackendLink) {
        self.owner = owner
        self.link = link
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Stops passing events to the client side.
    func detach() { owner = nil }

    func send(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() { context?.flush() }

    /// The client can take more again: read from the server if a read was held back.
    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func read(context: ChannelHandlerContext) {
        if owner?.clientIsWritable ?? true {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let owner, let link else { return }
        owner.backendRead(unwrapInboundIn(data), from: link)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.backendReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { owner?.backendBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let owner, let link { owner.backendClosed(link) }
        owner = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed response or a reset: this connection is done; channelInactive tells the owner.
        link?.failed = true
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension HTTPBackendHandler: Sendable {}
