import DirectorProxy
import Logging
import NIOCore
import ShoalCore
import ShoalServer

/// The mail node's PROXY protocol acceptance: connections from a trusted address (a mail director) must start
/// with a PROXY header (v1 or v2, read before TLS on implicit-TLS listeners), and the client it names is the
/// one the protocol logs and delays failed logins for; connections from anywhere else are served as they are.
enum ProxyProtocolGate {
    /// How long a trusted peer has to send its header.
    static let headerTimeout = TimeAmount.seconds(10)

    static func gate(trusted: Set<IPAddress>, logger: Logger) -> ConnectionGate {
        ConnectionGate { channel, setup in
            guard let peer = channel.remoteAddress.flatMap(Endpoint.init(socketAddress:)), trusted.contains(peer.address) else {
                setup(nil)
                return
            }
            let ops = channel.pipeline.syncOperations
            try ops.addHandler(ProxyProtocolReceiver(onError: { error in
                logger.notice("bad PROXY header from a trusted peer", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }), position: .first)
            try ops.addHandler(ProxyHeaderWaiter(setup: setup))
        }
    }
}

/// Waits for the `ProxyProtocolReceived` event, then sets the connection up for the client it names (the
/// socket's peer for a LOCAL header) and leaves; closes the connection when no header comes in time.
final class ProxyHeaderWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let setup: (Endpoint?) -> Void
    private var timer: Scheduled<Void>?

    init(setup: @escaping (Endpoint?) -> Void) { self.setup = setup }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: ProxyProtocolGate.headerTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let received = event as? ProxyProtocolReceived else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        timer?.cancel()
        setup(received.header.source)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
