import NIOCore
import Synchronization

/// The open connections of one HTTP server: enforces the connection cap, and on shutdown asks each to
/// quiesce and lets the server wait until the last one has closed.
final class HTTPConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isQuiescing = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    let maxConnections: Int
    private let state = Mutex(State())

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// Registers a new connection and forgets it when it closes; false (register nothing) when the server
    /// is at its cap or shutting down.
    func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state -> Bool in
            guard !state.isQuiescing, state.channels.count < maxConnections else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in self.remove(channel) }
        }
        return admitted
    }

    /// True once `quiesce()` has begun.
    var isQuiescing: Bool { state.withLock { $0.isQuiescing } }

    /// How many connections are open.
    var count: Int { state.withLock { $0.channels.count } }

    private func remove(_ channel: any Channel) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.channels[ObjectIdentifier(channel)] = nil
            guard state.isQuiescing, state.channels.isEmpty else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Admits nothing more, asks every open connection to quiesce (idle ones close at once, busy ones
    /// after their answer) and returns once all are closed.
    func quiesce() async {
        let channels = state.withLock { state -> [any Channel] in
            state.isQuiescing = true
            return Array(state.channels.values)
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.channels.isEmpty { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
