public import Logging
public import NIOCore

/// What a protocol gives a ``Server``: how to set up an accepted connection, and (for protocols written
/// as async code) how to serve it.
///
/// Pipeline-driven protocols (a line-protocol session, the TCP proxy) add their handlers in `setup` and keep
/// `Value == Void`: they cost no task per connection. Async protocols return a value from `setup` (an
/// `NIOAsyncChannel`, say) and serve it in `handle`, which runs in the server's task group.
public protocol ServerChild: Sendable {
    associatedtype Value: Sendable = Void
    /// Adds the protocol's handlers to an accepted connection, on its event loop (after TLS, when implicit).
    func setup(channel: any Channel, logger: Logger) throws -> Value
    /// Serves a connection after `setup`; returns when the connection is done.
    func handle(_ value: Value, logger: Logger) async
    /// Whether `handle` needs running (false for pipeline-driven protocols).
    static var servesAsynchronously: Bool { get }
    /// Deals with a connection over the listener's connection cap (not registered, not set up): by default
    /// it is closed at once; HTTP answers 503 first.
    func refuse(channel: any Channel, logger: Logger)
}

extension ServerChild {
    public static var servesAsynchronously: Bool { true }

    public func refuse(channel: any Channel, logger: Logger) {
        channel.close(promise: nil)
    }
}

extension ServerChild where Value == Void {
    public func handle(_ value: Void, logger: Logger) async {}
    public static var servesAsynchronously: Bool { false }
}

/// A pipeline-driven child from a closure (tests, and small protocols).
public struct PipelineChild: ServerChild {
    let initialize: @Sendable (any Channel) throws -> Void

    public init(_ initialize: @escaping @Sendable (any Channel) throws -> Void) {
        self.initialize = initialize
    }

    public func setup(channel: any Channel, logger: Logger) throws {
        try initialize(channel)
    }
}
