import DirectorAdmin
import DirectorProxy
import Director
import Foundation
import HealthCheck
public import Logging
public import NIOCore
public import ServiceLifecycle
public import ShoalCore
import ShoalServer

/// `shoal director`: the runtime, one listener per virtual service, the health monitor, the admin API,
/// and the operations around them (reload applies only the difference; drain lets connections finish).
///
/// As a `Service`, it runs until graceful shutdown (SIGTERM in `shoal director`) and then drains.
public actor DirectorServer: Service {
    /// A listener's identity: reload keeps a listener whose protocol and address stay the same.
    struct ListenerKey: Hashable {
        var mode: ServiceMode
        var listen: Endpoint
    }

    enum Listener {
        case stream(TCPProxyListener)
        case datagram(UDPProxyListener)
    }

    public nonisolated let runtime: DirectorRuntime
    private let load: @Sendable () throws -> DirectorConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Every proxied client connection, of every listener (including listeners removed by a reload).
    private let registry = ConnectionRegistry()
    private let monitor: HealthMonitor
    private var configuration = DirectorConfiguration()
    private var listeners: [ListenerKey: Listener] = [:]
    private var admin: AdminServer?
    private var adminSettings: AdminSettings?
    private var ticker: RepeatedTask?
    private var healthTask: Task<Void, Never>?

    /// - Parameter load: reads the configuration (at start and on every reload).
    public init(group: any EventLoopGroup, logger: Logger, load: @escaping @Sendable () throws -> DirectorConfiguration) {
        self.group = group
        self.logger = logger
        self.load = load
        self.runtime = DirectorRuntime(logger: logger, wallClock: Date().timeIntervalSince1970)
        self.monitor = HealthMonitor(group: group, logger: logger)
    }

    /// Loads the configuration and starts everything; a bad configuration or a busy address throws.
    public func start() async throws {
        let configuration = try load()
        let notify = try runtime.load(configuration)
        self.configuration = configuration
        let monitor = self.monitor, runtime = self.runtime
        runtime.onServicesChanged.withLockedValue { $0 = { [weak self] in Task { await self?.syncListeners() } } }
        runtime.reportSource.withLockedValue { $0 = { await monitor.reports() } }
        healthTask = Task {
            for await event in monitor.events {
                runtime.runNotify(runtime.healthChanged(event))
            }
        }
        await monitor.update(runtime.checkTargets(configuration))
        try await applyListeners(configuration)
        try await applyAdmin(configuration.admin)
        ticker = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in runtime.tick() }
        runtime.runNotify(notify)
        logger.notice("director started", metadata: ["services": "\(configuration.services.count)"])
    }

    /// Re-reads the configuration and applies only what changed; on error the running state stays.
    @discardableResult
    public func reload() async -> Bool {
        do {
            let next = try load()
            let notify = try runtime.load(next)
            configuration = next
            await monitor.update(runtime.checkTargets(next))
            try await applyListeners(next)
            if next.admin != adminSettings { try await applyAdmin(next.admin) }
            runtime.runNotify(notify)
            logger.notice("configuration reloaded", metadata: ["services": "\(next.services.count)"])
            return true
        } catch {
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Serves until graceful shutdown (then drains) or cancellation (then stops at once).
    public func run() async throws {
        do {
            try await gracefulShutdown()
            await drain()
        } catch {
            await shutdown()
        }
    }

    /// Stops accepting, waits up to the drain timeout for established connections, then closes the rest.
    public func drain() async {
        logger.notice("draining", metadata: ["connections": "\(registry.count)"])
        for listener in listeners.values { await stop(listener) }
        listeners = [:]
        let closed = await registry.drain(timeout: .nanoseconds(Int64(configuration.drainTimeout * 1_000_000_000)))
        if closed > 0 {
            logger.notice("drain timeout: closed the remaining connections", metadata: ["connections": "\(closed)"])
        }
        await shutdown()
    }

    /// Stops everything at once.
    public func shutdown() async {
        for listener in listeners.values { await stop(listener) }
        listeners = [:]
        registry.closeAll()
        ticker?.cancel()
        ticker = nil
        await monitor.stop()
        healthTask?.cancel()
        await admin?.shutdown()
        admin = nil
        logger.notice("director stopped")
    }

    /// The admin API's bound address, when it runs.
    public var adminAddress: Endpoint? {
        get async { await admin?.boundAddress }
    }

    /// How many client connections are open.
    public nonisolated var openConnections: Int { registry.count }

    // MARK: Listeners and admin

    /// Services added through the admin API (not in the configuration) get a listener with the default
    /// settings; services removed through it lose theirs. Established connections are not touched.
    func syncListeners() async {
        do {
            try await applyListeners(configuration)
        } catch {
            logger.error("cannot listen for a service added through the admin API", metadata: ["error": "\(error)"])
        }
    }

    private func applyListeners(_ configuration: DirectorConfiguration) async throws {
        let table = runtime.desiredTable
        var wanted: [ListenerKey: ServiceDefinition] = [:]
        for service in configuration.services where table.service(service.config.key) != nil {
            wanted[ListenerKey(mode: service.mode, listen: service.listen)] = service
        }
        let configured = Set(configuration.services.flatMap { $0.tableServices.map(\.config.key) })
        for service in table.services where !configured.contains(service.key) {
            guard case let .address(proto, vip) = service.key, proto == .tcp || proto == .udp, vip.port != 0 else { continue }
            var definition = ServiceDefinition(mode: proto == .udp ? .udp : .tcp, listen: vip, config: service.config, servers: [])
            definition.proxy = configuration.proxyDefaults
            wanted[ListenerKey(mode: definition.mode, listen: vip)] = definition
        }
        for (key, listener) in listeners where wanted[key] == nil {
            await stop(listener)
            listeners[key] = nil
        }
        for (key, service) in wanted.sorted(by: { $0.key.listen.description < $1.key.listen.description }) {
            if let existing = listeners[key] {
                switch existing {
                case let .stream(listener):
                    listener.settings = service.proxy
                    listener.http = service.http
                case let .datagram(listener):
                    listener.settings = service.proxy
                }
                continue
            }
            switch service.mode {
            case .tcp, .http:
                let listener = TCPProxyListener(service: service.config.key, listen: service.listen, settings: service.proxy,
                                                scheduler: runtime, registry: registry, logger: logger)
                listener.http = service.http
                try await listener.start(group: group)
                listeners[key] = .stream(listener)
            case .udp:
                let listener = UDPProxyListener(service: service.config.key, listen: service.listen, settings: service.proxy,
                                                scheduler: runtime, logger: logger)
                try await listener.start(group: group)
                listeners[key] = .datagram(listener)
            }
        }
    }

    private func stop(_ listener: Listener) async {
        switch listener {
        case let .stream(l): await l.stop()
        case let .datagram(l): await l.stop()
        }
    }

    private func applyAdmin(_ settings: AdminSettings?) async throws {
        await admin?.shutdown()
        admin = nil
        adminSettings = settings
        guard let settings else { return }
        let server = AdminServer(configuration: AdminServerConfiguration(listen: settings.listen, token: settings.token),
                                 control: runtime, group: group, logger: logger)
        try await server.start()
        admin = server
    }
}
