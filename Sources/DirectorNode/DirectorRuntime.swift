public import Director
import DirectorAdmin
import DirectorProxy
public import HealthCheck
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import ShoalCore

/// The director's state while it runs, in two parts with a lock each.
///
/// * `control`: the desired table (configuration plus admin changes, with configured weights), the
///   health of every checked server and the quorum policies. Changed rarely, by reloads, admin
///   batches and health verdicts, each staged on a copy and committed only when it all succeeds. It
///   holds no connections, so a copy costs O(services + servers).
/// * `live`: the table the dataplanes schedule with (desired ∘ health) with its connection table and
///   the servers' load counters the schedulers read. One mutable value behind its own lock, changed
///   in place on every accept and close and never handed out whole: readers get its services view
///   or a listing of its entries, so no reader makes the next accept copy the connection table.
///
/// Lock order: `control`, then `live` (the data path takes only `live`).
public final class DirectorRuntime: Sendable {
    struct Control {
        /// Services and servers as configured and edited through the admin API.
        var desired = DirectorTable()
        var health: [HealthKey: MemberHealth] = [:]
        var policies: [VirtualServiceKey: ServiceHealthPolicy] = [:]
        var options: [VirtualServiceKey: ServiceHealthOptions] = [:]
    }

    /// The live table and the tick count of its rate estimation.
    struct Live {
        /// What the dataplanes schedule with: desired services, weights adjusted by health, connections.
        var table = DirectorTable()
        var ticks = 0
    }

    /// A checked server's latest verdict.
    struct MemberHealth {
        var isUp: Bool
        var dynamicWeight: Int?
    }

    let control = NIOLockedValueBox(Control())
    let live = NIOLockedValueBox(Live())
    private let start = NIODeadline.now()
    public let startedAt: Double
    let logger: Logger
    /// Called (and awaited) after the admin API added or removed services: the server adjusts its listeners.
    let onServicesChanged = NIOLockedValueBox<(@Sendable () async -> Void)?>(nil)
    /// Where the live table's rule changes go besides the table (the kernel dataplane): called with each
    /// applied diff, in order, under the table's lock, so it must only queue them.
    let changeSink = NIOLockedValueBox<(@Sendable ([IPVSCommand]) -> Void)?>(nil)
    let reportSource: NIOLockedValueBox<(@Sendable () async -> [HealthKey: ServerHealthReport])?> = NIOLockedValueBox(nil)

    public init(logger: Logger, wallClock: Double) {
        self.logger = logger
        self.startedAt = wallClock
    }

    /// Microseconds since the director started, as the table counts time.
    public var now: DirectorTime { DirectorTime(microseconds: (NIODeadline.now() - start).nanoseconds / 1000) }

    // MARK: Configuration

    /// Replaces the desired state with a configuration's services (a start or a reload) and reconciles.
    /// Servers with a check start down when their service says `alpha`, up otherwise; servers whose
    /// health is already known keep it.
    public func load(_ configuration: DirectorConfiguration) throws(ConfigError) -> [String] {
        let frozen = try configuration.desiredTable()
        return try transaction(syncingTimeouts: true) { (next: inout Control) throws(ConfigError) -> Bool in
            next.desired = frozen
            next.options = [:]
            var checked: [HealthKey: MemberHealth] = [:]
            for service in configuration.services {
                for (config, servers) in service.tableServices {
                    next.options[config.key] = service.health
                    for server in servers where (server.check ?? service.check) != nil {
                        let key = HealthKey(service: config.key, server: server.config.endpoint)
                        checked[key] = next.health[key] ?? MemberHealth(isUp: !service.alpha)
                    }
                }
            }
            // A server whose check was removed is up again (it has no verdict any more).
            next.health = checked
            let wanted = Set(next.desired.services.map(\.key))
            next.policies = next.policies.filter { wanted.contains($0.key) }
            return true
        }
    }

    /// Runs `body` on a copy of the control state, then reconciles the live table in place (first
    /// giving it the desired timeouts when `syncingTimeouts`); keeps the copy only when both succeed.
    /// A failure changes nothing: the live table stages its rule changes without its connections
    /// (`DirectorTable.apply(batch:)`). `body` returns false when there is nothing to do (then nothing
    /// is reconciled or committed). Returns the notify commands of quorum changes.
    func transaction(syncingTimeouts: Bool = false,
                     _ body: (inout Control) throws(ConfigError) -> Bool) throws(ConfigError) -> [String] {
        let outcome = control.withLockedValue { (control) -> Result<[String], ConfigError> in
            var next = control
            do throws(ConfigError) {
                guard try body(&next) else { return .success([]) }
                let t = next.desired.timeouts
                let first: [IPVSCommand] = syncingTimeouts ? [.setTimeouts(tcp: t.tcp, tcpFin: t.tcpFin, udp: t.udp)] : []
                let reconciled = live.withLockedValue { (live) -> Result<[String], ConfigError> in
                    do throws(ConfigError) {
                        return .success(try reconcile(&next, live: &live.table, first: first))
                    } catch {
                        return .failure(error)
                    }
                }
                let notify = try reconciled.get()
                control = next
                return .success(notify)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Reconciles the live table with desired ∘ health, all or nothing (`first` runs before the
    /// changes); returns the notify commands of quorum changes.
    func reconcile(_ state: inout Control, live: inout DirectorTable, first: [IPVSCommand] = []) throws(ConfigError) -> [String] {
        var targets: [DesiredService] = []
        var notify: [String] = []
        for service in state.desired.desiredServices {
            let key = service.config.key
            let members = service.servers.map { server in
                let health = state.health[HealthKey(service: key, server: server.endpoint)]
                return ServiceMember(endpoint: server.endpoint, weight: server.weight, isUp: health?.isUp ?? true,
                                     dynamicWeight: health?.dynamicWeight)
            }
            var policy = state.policies[key] ?? ServiceHealthPolicy(options: state.options[key] ?? ServiceHealthOptions())
            policy.options = state.options[key] ?? ServiceHealthOptions()
            let plan = policy.plan(members)
            state.policies[key] = policy
            for transition in plan.transitions {
                logger.notice("service quorum changed", metadata: ["service": "\(key)", "transition": "\(transition)"])
            }
            notify += plan.notifyCommands
            let configured = Dictionary(service.servers.map { ($0.endpoint, $0) }, uniquingKeysWith: { a, _ in a })
            let servers = plan.entries.map { entry in
                var config = configured[entry.endpoint] ?? RealServerConfig(endpoint: entry.endpoint, forwarding: .masquerade)
                config.weight = entry.weight
                return config
            }
            targets.append(DesiredService(config: service.config, servers: servers))
        }
        let commands = first + live.commands(toReach: targets)
        guard !commands.isEmpty else { return notify }
        try live.apply(batch: commands.map { (0, $0) })
        changeSink.withLockedValue { $0 }?(commands)
        return notify
    }

    /// A health checker's verdict on one server; returns notify commands to run.
    public func healthChanged(_ event: HealthEvent) -> [String] {
        do {
            return try transaction { (next: inout Control) -> Bool in
                guard next.desired.service(event.key.service) != nil else { return false }
                // The health monitor logged the change (one line per state change); this applies it.
                next.health[event.key] = MemberHealth(isUp: event.isUp, dynamicWeight: event.dynamicWeight)
                return true
            }
        } catch {
            logger.error("cannot apply health change", metadata: ["error": "\(error)", "server": "\(event.key.server)"])
            return []
        }
    }

    /// Every checked server with its check, for the health monitor.
    public func checkTargets(_ configuration: DirectorConfiguration) -> [HealthKey: (check: CheckSpec, alpha: Bool)] {
        let desired = desiredTable
        var targets: [HealthKey: (check: CheckSpec, alpha: Bool)] = [:]
        for service in configuration.services {
            for (config, servers) in service.tableServices {
                guard let current = desired.service(config.key) else { continue }
                let own = Dictionary(servers.map { ($0.config.endpoint, $0.check) }, uniquingKeysWith: { a, _ in a })
                for server in current.servers {
                    if let check = (own[server.endpoint] ?? nil) ?? service.check {
                        targets[HealthKey(service: config.key, server: server.endpoint)] = (check, service.alpha)
                    }
                }
            }
        }
        return targets
    }

    /// The desired table: configured services and servers with configured weights, plus admin changes
    /// (it never holds connections).
    public var desiredTable: DirectorTable { control.withLockedValue { $0.desired } }

    /// The live table without its connection entries (services, servers, counters, entry count):
    /// what `/metrics` and the service listings read. O(services + servers).
    public var liveServices: DirectorTable {
        let time = now
        return live.withLockedValue { live in
            live.table.advance(to: time)
            return live.table.servicesView
        }
    }

    /// The live connection table's entries; the copy is an array of its own, taken under the lock
    /// in O(connections) and sorted after it is released.
    public var liveConnections: ConnectionListing {
        let time = now
        let (entries, at) = live.withLockedValue { live in
            live.table.advance(to: time)
            return (live.table.unsortedEntries, live.table.now)
        }
        return ConnectionListing(entries: entries, now: at)
    }

    /// The whole live table, connections included (for tests: the next accept then copies the
    /// connection table, as the copy shares its storage).
    public var liveTable: DirectorTable {
        let time = now
        return live.withLockedValue { live in
            live.table.advance(to: time)
            return live.table
        }
    }

    /// Runs due timers and, every other call, a rate-estimation step (call once a second: the kernel
    /// estimates rates every 2 seconds).
    public func tick() {
        let time = now
        live.withLockedValue { live in
            live.table.advance(to: time)
            live.ticks += 1
            if live.ticks % 2 == 0 { live.table.sampleRates() }
        }
    }
}
