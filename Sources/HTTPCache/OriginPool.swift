import NIOConcurrencyHelpers
public import ShoalCore

/// The reverse proxy's origin servers: round robin over those not marked down; a server that fails a
/// connection is down for `retryAfter` seconds, then tried again (passive health checking).
public final class OriginPool: Sendable {
    public let servers: [Endpoint]
    let retryAfter: Int64
    private let state = NIOLockedValueBox((next: 0, downUntil: [Endpoint: Int64]()))

    public init(servers: [Endpoint], retryAfter: Int64 = 5) {
        self.servers = servers
        self.retryAfter = retryAfter
    }

    /// The next server to try at `now` (a down one only when all are down).
    public func pick(now: Int64) -> Endpoint? {
        guard !servers.isEmpty else { return nil }
        return state.withLockedValue { state in
            for offset in 0..<servers.count {
                let server = servers[(state.next + offset) % servers.count]
                if (state.downUntil[server] ?? 0) <= now {
                    state.next = (state.next + offset + 1) % servers.count
                    return server
                }
            }
            state.next = (state.next + 1) % servers.count
            return servers[state.next]
        }
    }

    public func failed(_ server: Endpoint, now: Int64) {
        state.withLockedValue { $0.downUntil[server] = now + retryAfter }
    }

    public func succeeded(_ server: Endpoint) {
        state.withLockedValue { _ = $0.downUntil.removeValue(forKey: server) }
    }
}
