public import Director
import DirectorAdmin
import DirectorProxy
public import HealthCheck
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import ShoalCore

/// The director's state while it runs, behind one lock: the desired table (configuration plus admin
/// changes, with configured weights), the health of every checked server, and the live table the
/// dataplanes schedule with (desired ∘ health, with its connections).
public final class DirectorRuntime: Sendable {
    struct State {
        /// Services and servers as configured and edited through the admin API.
        var desired = DirectorTable()
        /// What the dataplanes schedule with: desired services, weights adjusted by health.
        var live = DirectorTable()
        var health: [HealthKey: MemberHealth] = [:]
        var policies: [VirtualServiceKey: ServiceHealthPolicy] = [:]
        var options: [VirtualServiceKey: ServiceHealthOptions] = [:]
        var ticks = 0
    }

    /// A checked server's latest verdict.
    struct MemberHealth {
        var isUp: Bool
        var dynamicWeight: Int?
    }

    let state = NIOLockedValueBox(State())
    private let start = NIODeadline.now()
    public let startedAt: Double
    let logger: Logger
    /// Called (and awaited) after the admin API added or removed services: the server adjusts its listeners.
    let onServicesChanged = NIOLockedValueBox<(@Sendable () async -> Void)?>(nil)
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
        var desired = DirectorTable(timeouts: configuration.timeouts)
        var batch: [(line: Int, command: IPVSCommand)] = []
        for service in configuration.services {
            for (config, servers) in service.tableServices {
                batch.append((0, .addService(config)))
                batch += servers.map { (0, .addServer(config.key, $0.config)) }
            }
        }
        try desired.apply(batch: batch)
        let frozen = desired
        return try transaction { (next: inout State) throws(ConfigError) -> [String] in
            next.desired = frozen
            let t = configuration.timeouts
            try next.live.apply(.setTimeouts(tcp: t.tcp, tcpFin: t.tcpFin, udp: t.udp))
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
            return try reconcile(&next)
        }
    }

    /// Runs `body` on a copy of the state under the lock and keeps the copy only when it succeeds.
    func transaction(_ body: (inout State) throws(ConfigError) -> [String]) throws(ConfigError) -> [String] {
        let outcome = state.withLockedValue { (state) -> Result<[String], ConfigError> in
            var next = state
            do throws(ConfigError) {
                let notify = try body(&next)
                state = next
                return .success(notify)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Recomputes the live table from desired ∘ health; returns the notify commands of quorum changes.
    func reconcile(_ state: inout State) throws(ConfigError) -> [String] {
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
        let commands = state.live.commands(toReach: targets)
        try state.live.apply(batch: commands.map { (0, $0) })
        return notify
    }

    /// A health checker's verdict on one server; returns notify commands to run.
    public func healthChanged(_ event: HealthEvent) -> [String] {
        state.withLockedValue { state in
            guard state.desired.service(event.key.service) != nil else { return [] }
            // The health monitor logged the change (one line per state change); this applies it.
            state.health[event.key] = MemberHealth(isUp: event.isUp, dynamicWeight: event.dynamicWeight)
            do {
                return try reconcile(&state)
            } catch {
                logger.error("cannot apply health change", metadata: ["error": "\(error)"])
                return []
            }
        }
    }

    /// Every checked server with its check, for the health monitor.
    public func checkTargets(_ configuration: DirectorConfiguration) -> [HealthKey: (check: CheckSpec, alpha: Bool)] {
        let desired = state.withLockedValue { $0.desired }
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

    /// The desired table: configured services and servers with configured weights, plus admin changes.
    public var desiredTable: DirectorTable { state.withLockedValue { $0.desired } }

    /// The live table (for listings and tests).
    public var liveTable: DirectorTable {
        state.withLockedValue { state in
            state.live.advance(to: now)
            return state.live
        }
    }

    /// Runs due timers and, every other call, a rate-estimation step (call once a second: the kernel
    /// estimates rates every 2 seconds).
    public func tick() {
        let time = now
        state.withLockedValue { state in
            state.live.advance(to: time)
            state.ticks += 1
            if state.ticks % 2 == 0 { state.live.sampleRates() }
        }
    }
}
