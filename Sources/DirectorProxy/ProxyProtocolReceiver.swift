public import NIOCore
import ShoalCore
import NIOConcurrencyHelpers

/// The user inbound event a `ProxyProtocolReceiver` fires once it has read the header.
public struct ProxyProtocolReceived: Hashable, Sendable {
    public var header: ProxyProtocolHeader

    public init(header: ProxyProtocolHeader) { self.header = header }
}

/// Where a `ProxyProtocolReceiver` leaves the header it read, for code outside the pipeline.
public final class ProxyProtocolHeaderBox: Sendable {
    private let value = NIOLockedValueBox<ProxyProtocolHeader?>(nil)

    public init() {}

    /// The header once received (nil before, or when none was received).
    public var header: ProxyProtocolHeader? { value.withLockedValue { $0 } }

    func store(_ header: ProxyProtocolHeader) { value.withLockedValue { $0 = header } }
}

/// Reads a PROXY protocol header (v1 or v2) at the start of an accepted connection, announces it with a
/// `ProxyProtocolReceived` event, passes on the bytes that follow it and removes itself. A bad header,
/// or none complete within `maximumHeaderLength` bytes, closes the connection.
public final class ProxyProtocolReceiver: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let maximumHeaderLength: Int
    private let box: ProxyProtocolHeaderBox?
    private let onError: (@Sendable (ProxyProtocolError) -> Void)?
    private var buffered: ByteBuffer?
    private var done = false

    /// - Parameters:
    ///   - maximumHeaderLength: bytes allowed before a complete header (v1 lines are at most 107 anyway).
    ///   - box: also receives the header, when given.
    ///   - onError: told why a connection was closed (for logging).
    public init(maximumHeaderLength: Int = 536, box: ProxyProtocolHeaderBox? = nil,
                onError: (@Sendable (ProxyProtocolError) -> Void)? = nil) {
        self.maximumHeaderLength = max(16, maximumHeaderLength)
        self.box = box
        self.onError = onError
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        let header: ProxyProtocolHeader?
        do {
            header = try ProxyProtocolHeader.parse(&buffered!, maximumLength: maximumHeaderLength)
        } catch {
            fail(context: context, error)
            return
        }
        guard let header else {
            if buffered!.readableBytes >= maximumHeaderLength {
                fail(context: context, ProxyProtocolError(.headerTooLong, "no complete header within \(maximumHeaderLength) bytes"))
            }
            return
        }
        done = true
        box?.store(header)
        context.fireUserInboundEventTriggered(ProxyProtocolReceived(header: header))
        let rest = buffered!
        buffered = nil
        if rest.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(rest))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        buffered = nil
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: ProxyProtocolError) {
        done = true
        buffered = nil
        onError?(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ProxyProtocolReceiver: Sendable {}
