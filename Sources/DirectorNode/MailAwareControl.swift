import Director
import DirectorAdmin
import Failover
import MailDirector
import NIOConcurrencyHelpers
import ShoalCore

/// The admin API's view of a director that runs mail proxies: the runtime, plus the mail counters and
/// which node serves a user in each mail service (what `GET /api/mail/who/USER` answers).
struct MailAwareControl: MailDirectorControl, FailoverDirectorControl {
    let runtime: DirectorRuntime
    let statistics: MailProxyStatistics
    /// The keys of the configured mail proxy services (they change on reload).
    let mailServices: NIOLockedValueBox<[VirtualServiceKey]>
    /// The director's VRRP instances, once started.
    let failover: NIOLockedValueBox<FailoverService?>

    /// The director's state-sync daemon, once started.
    let connectionSync: NIOLockedValueBox<ConnectionSyncDaemon?>

    func failoverStatus() async -> [VRRPInstanceStatus] { failover.withLockedValue { $0 }?.status ?? [] }
    func connectionSyncCounters() async -> ConnectionSyncDaemon.Counters? { connectionSync.withLockedValue { $0 }?.counters }

    func snapshot() async -> DirectorSnapshot { await runtime.snapshot() }
    func apply(_ commands: [IPVSCommand]) async throws(ConfigError) { try await runtime.apply(commands) }
    func connectionListing() async -> ConnectionListing { await runtime.connectionListing() }

    func mailCounters() async -> MailProxyCounters {
        let s = statistics.snapshot
        return MailProxyCounters(loginsProxied: s.loginsProxied, loginsRefused: s.loginsRefused, loginsUnavailable: s.loginsUnavailable,
                                 sessions: s.sessions)
    }

    func mailPlacements(for user: String) async -> [MailPlacement] {
        let key = UserAffinityKey.key(user)
        return mailServices.withLockedValue { $0 }.map { service in
            MailPlacement(service: service, node: runtime.liveServer(forAffinityKey: key, in: service))
        }
    }
}

extension DirectorRuntime {
    /// The server a connection hashed by `affinityKey` would get in the live table now.
    func liveServer(forAffinityKey affinityKey: UInt32, in service: VirtualServiceKey) -> Endpoint? {
        live.withLockedValue { $0.table.server(forAffinityKey: affinityKey, in: service) }
    }
}
