import NIOConcurrencyHelpers
public import ShoalCore

/// Counters of one director's mail proxies (thread-safe): logins proxied per node, refused and unavailable,
/// and the spliced sessions open per node.
public final class MailProxyStatistics: Sendable {
    /// A copy of the counters.
    public struct Snapshot: Hashable, Sendable {
        public var loginsProxied: [Endpoint: Int] = [:]
        public var loginsRefused = 0
        public var loginsUnavailable = 0
        public var sessions: [Endpoint: Int] = [:]
    }

    private let counters = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { counters.withLockedValue { $0 } }

    func proxied(to node: Endpoint) {
        counters.withLockedValue {
            $0.loginsProxied[node, default: 0] += 1
            $0.sessions[node, default: 0] += 1
        }
    }

    func sessionEnded(at node: Endpoint) { counters.withLockedValue { $0.sessions[node, default: 1] -= 1 } }
    func refused() { counters.withLockedValue { $0.loginsRefused += 1 } }
    func unavailable() { counters.withLockedValue { $0.loginsUnavailable += 1 } }
}
