import NIOConcurrencyHelpers
import NIOCore

/// Idle kept-alive upstream connections per host:port, newest first: at most `idlePerServer` kept per server,
/// each closed after `idleTimeout` unused, and dropped at once when the server closes it.
final class OriginConnectionPool: Sendable {
    let idlePerServer: Int
    let idleTimeout: TimeAmount

    private struct Idle {
        let connection: PooledConnection
        let expiry: Scheduled<Void>
    }

    private struct State {
        var idle: [String: [Idle]] = [:]
        var opened = 0
    }

    private let state = NIOLockedValueBox(State())

    init(idlePerServer: Int, idleTimeout: TimeAmount) {
        self.idlePerServer = idlePerServer
        self.idleTimeout = idleTimeout
    }

    private static func key(_ host: String, _ port: Int) -> String { "\(host):\(port)" }

    var idleCount: Int { state.withLockedValue { $0.idle.values.reduce(0) { $0 + $1.count } } }
    var openedCount: Int { state.withLockedValue { $0.opened } }

    /// Counts a new connection and forgets it from the idle list when it closes.
    func opened(_ connection: PooledConnection) {
        state.withLockedValue { $0.opened += 1 }
        connection.channel.closeFuture.whenComplete { [weak self] _ in self?.forget(connection) }
    }

    /// The most recently used idle connection to host:port that is still open, taken out of the pool.
    func acquire(host: String, port: Int) -> PooledConnection? {
        let key = Self.key(host, port)
        while true {
            let taken: Idle? = state.withLockedValue { state in
                guard var list = state.idle[key], !list.isEmpty else { return nil }
                let last = list.removeLast()
                state.idle[key] = list.isEmpty ? nil : list
                return last
            }
            guard let taken else { return nil }
            taken.expiry.cancel()
            if taken.connection.channel.isActive { return taken.connection }
        }
    }

    /// Puts a connection whose exchange ended back for reuse (closing it when the server has enough idle ones).
    func release(_ connection: PooledConnection) {
        let key = Self.key(connection.host, connection.port)
        let channel = connection.channel
        let expiry = channel.eventLoop.scheduleTask(in: idleTimeout) { [weak self] in
            self?.forget(connection)
            channel.close(promise: nil)
        }
        let kept = state.withLockedValue { state in
            guard channel.isActive, (state.idle[key]?.count ?? 0) < idlePerServer else { return false }
            state.idle[key, default: []].append(Idle(connection: connection, expiry: expiry))
            return true
        }
        if !kept {
            expiry.cancel()
            channel.close(promise: nil)
        }
    }

    private func forget(_ connection: PooledConnection) {
        let key = Self.key(connection.host, connection.port)
        state.withLockedValue { state in
            guard let list = state.idle[key] else { return }
            let rest = list.filter { $0.connection !== connection }
            state.idle[key] = rest.isEmpty ? nil : rest
        }
    }
}
