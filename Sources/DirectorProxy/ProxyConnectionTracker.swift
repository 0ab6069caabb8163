public import NIOCore
import NIOConcurrencyHelpers

/// The live client connections of a proxy, so that a shutdown can wait for them to drain.
public final class ProxyConnectionTracker: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    public init() {}

    /// How many client connections are open.
    public var count: Int { channels.withLockedValue { $0.count } }

    /// Starts tracking a client channel until it closes.
    public func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLockedValue { $0.removeValue(forKey: id) }
        }
    }

    /// Closes every tracked connection (the end of a drain's grace period).
    public func closeAll() {
        for channel in channels.withLockedValue({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
