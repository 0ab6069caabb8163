public import NIOCore
import NIOConcurrencyHelpers

/// The open connections of one or more listeners: counted without polling, told to quiesce on shutdown,
/// waited for with a deadline, and closed at its end.
///
/// A connection is registered when it is accepted and leaves when its channel closes. Shutdown sends every
/// connection NIO's `ChannelShouldQuiesceEvent` (a protocol finishes what is in flight and closes: SMTP
/// after the delivery under way, HTTP after the response being written); connections accepted while
/// quiescing get the event at once.
public final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var quiescing = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var accepted = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Connections beyond this many are refused (the listener closes them); nil: no cap.
    public let maximumConnections: Int?

    public init(maximumConnections: Int? = nil) {
        self.maximumConnections = maximumConnections
    }

    /// How many connections are open.
    public var count: Int { state.withLockedValue { $0.channels.count } }

    /// How many connections were ever registered (accepted and not refused).
    public var acceptedTotal: Int { state.withLockedValue { $0.accepted } }

    /// Whether shutdown has begun.
    public var isQuiescing: Bool { state.withLockedValue { $0.quiescing } }

    /// Tracks `channel` until it closes; false (nothing is registered) when the registry is full.
    @discardableResult
    public func register(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let (accepted, quiescing) = state.withLockedValue { state -> (Bool, Bool) in
            if let maximumConnections, state.channels.count >= maximumConnections { return (false, state.quiescing) }
            state.channels[id] = channel
            state.accepted += 1
            return (true, state.quiescing)
        }
        guard accepted else { return false }
        channel.closeFuture.whenComplete { [self] _ in remove(id) }
        if quiescing { Self.sendQuiesce(to: channel) }
        return true
    }

    private func remove(_ id: ObjectIdentifier) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.channels[id] = nil
            guard state.channels.isEmpty else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Asks every open connection (and every one accepted from now on) to finish and close.
    public func quiesce() {
        let open = state.withLockedValue { state -> [any Channel] in
            state.quiescing = true
            return Array(state.channels.values)
        }
        for channel in open { Self.sendQuiesce(to: channel) }
    }

    private static func sendQuiesce(to channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    /// Closes every open connection now.
    public func closeAll() {
        for channel in state.withLockedValue({ Array($0.channels.values) }) { channel.close(promise: nil) }
    }

    /// Returns when no connection is open (at once if none is), or when the task is cancelled.
    public func waitUntilEmpty() async {
        let id = state.withLockedValue { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.channels.isEmpty || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Quiesces, waits up to `timeout` for every connection to close, then closes those still open.
    /// Returns how many had to be closed.
    @discardableResult
    public func drain(timeout: TimeAmount) async -> Int {
        quiesce()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilEmpty()
                return true
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(0, timeout.nanoseconds)))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if finished { return 0 }
        let remaining = count
        closeAll()
        return remaining
    }
}
