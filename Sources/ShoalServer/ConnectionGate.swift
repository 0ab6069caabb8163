public import NIOCore
public import ShoalCore

/// Decides when an accepted connection's protocol is set up, and for which client: a listener behind a
/// load balancer waits for its PROXY protocol header first. `hold` calls `setup` once (with the client the
/// header named, or nil for the socket's peer), or closes the channel.
public struct ConnectionGate: Sendable {
    public typealias Hold = @Sendable (_ channel: any Channel, _ setup: @escaping (Endpoint?) -> Void) throws -> Void
    let hold: Hold

    public init(_ hold: @escaping Hold) { self.hold = hold }
}

/// The client of a connection as its protocol should see it: the address a trusted PROXY header named, kept
/// in the pipeline by the gate, or else the socket's peer.
public final class ClientAddressNote: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    public let client: Endpoint

    public init(client: Endpoint) { self.client = client }

    /// The client's address as text (for logs and per-address login delays); call on the channel's loop.
    public static func peer(of channel: any Channel) -> String {
        if let note = try? channel.pipeline.syncOperations.handler(type: ClientAddressNote.self) {
            return note.client.address.description
        }
        return channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

@available(*, unavailable)
extension ClientAddressNote: Sendable {}
