import DirectorAdmin
public import DirectorIPVS
public import DirectorNFT
import DirectorProxy
import Director
public import Failover
import Foundation
import HealthCheck
import MailAccess
public import MailDirector
import NIOConcurrencyHelpers
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
    /// Who forwards the traffic: the userspace proxy (listeners per service), the kernel's IPVS, or nftables.
    public enum Dataplane: Sendable {
        case proxy
        /// The kernel forwards; services already in it are adopted or replaced at start.
        case ipvs(IPVSDataplane.Existing)
        /// The kernel forwards by nftables rules (rr, wrr, sh; VS/NAT and VS/DR); the director's tables
        /// are replaced at start, and a configuration nftables cannot carry is refused.
        case nft(NFTRuleset.Options)

        /// True when the kernel forwards (nothing listens for the services).
        var isKernel: Bool {
            if case .proxy = self { return false }
            return true
        }
    }

    /// A listener's identity: reload keeps a listener whose protocol and address stay the same.
    struct ListenerKey: Hashable {
        var mode: ServiceMode
        var listen: Endpoint
        /// A service moved to another engine gets a new listener (the old one's connections carry on).
        var engine = ProxyEngine.nio
    }

    enum Listener {
        case stream(TCPProxyListener)
        case epoll(EpollProxyListener)
        case datagram(UDPProxyListener)
        case mail(MailProxyListener)
    }

    public nonisolated let runtime: DirectorRuntime
    /// The mail proxies' counters (logins proxied per node, refused, unavailable; sessions per node).
    public nonisolated let mailStatistics = MailProxyStatistics()
    /// What the admin API controls: the runtime, with the mail proxies' counters and placements.
    private nonisolated let mailControl: MailAwareControl
    private nonisolated let mailServiceKeys = NIOLockedValueBox<[VirtualServiceKey]>([])
    /// The VRRP instances of the `failover:` block, started last and stopped first.
    nonisolated let failover = NIOLockedValueBox<FailoverService?>(nil)
    /// The IPVS sync protocol daemon of `failover.sync`, when configured.
    nonisolated let connectionSync = NIOLockedValueBox<ConnectionSyncDaemon?>(nil)
    /// With `--dataplane ipvs`: the kernel's own sync daemons in place of `connectionSync`.
    nonisolated let kernelSync = NIOLockedValueBox<KernelSyncControl?>(nil)

    /// Every VRRP instance's state (empty without a `failover:` block).
    public nonisolated var failoverStatus: [VRRPInstanceStatus] { failover.withLockedValue { $0 }?.status ?? [] }
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
    /// The last listener change under way (reloads and admin changes run one after another).
    private var listenerChanges: Task<Void, Never>?
    private let dataplane: Dataplane
    private var kernel: IPVSDataplane?
    /// The directories mail services check logins against, each opened once (kept across reloads, so the
    /// failed-login delays carry on).
    private var mailAuthenticators: [MailDirectoryReference: MailAuthenticator] = [:]
    private var nftables: NFTDataplane?
    /// The epoll forwarding engine's threads, started when a service first asks for `engine: epoll`.
    private var epollEngine: EpollForwarder?
    /// Leave the kernel's services (or nftables tables) in place at stop; by default they are removed.
    private let leaveKernelRules: Bool

    /// - Parameter load: reads the configuration (at start and on every reload).
    /// - Parameter leaveKernelRules: with a kernel dataplane, keep what it installed when the director stops.
    public init(group: any EventLoopGroup, logger: Logger, dataplane: Dataplane = .proxy, leaveKernelRules: Bool = false,
                load: @escaping @Sendable () throws -> DirectorConfiguration) {
        self.dataplane = dataplane
        self.leaveKernelRules = leaveKernelRules
        self.group = group
        self.logger = logger
        self.load = load
        self.runtime = DirectorRuntime(logger: logger, wallClock: Date().timeIntervalSince1970)
        self.monitor = HealthMonitor(group: group, logger: logger)
        self.mailControl = MailAwareControl(runtime: runtime, statistics: mailStatistics, mailServices: mailServiceKeys, failover: failover,
                                             connectionSync: connectionSync)
    }

    /// Loads the configuration and starts everything; a bad configuration or a busy address throws.
    public func start() async throws {
        let configuration = try await openingMailDirectories(try load())
        try checkDataplane(configuration)
        let notify = try runtime.load(configuration)
        self.configuration = configuration
        mailServiceKeys.withLockedValue { $0 = configuration.services.filter { $0.mail != nil }.map(\.config.key) }
        let monitor = self.monitor, runtime = self.runtime
        if case let .ipvs(existing) = dataplane {
            let kernel = IPVSDataplane(logger: logger)
            let applied = try await kernel.reconcile(to: runtime.liveServices, existing: existing)
            logger.notice("kernel IPVS reconciled", metadata: ["commands": "\(applied.count)", "existing": "\(existing)"])
            runtime.changeSink.withLockedValue { $0 = { kernel.enqueue($0) } }
            self.kernel = kernel
        }
        if case let .nft(options) = dataplane {
            let nftables = NFTDataplane(options: options, logger: logger)
            do {
                try await nftables.start(with: runtime.liveServices)
            } catch {
                await nftables.nft.shutdown()
                throw error
            }
            logger.notice("nftables ruleset installed", metadata: ["table": "\(options.table)"])
            runtime.changeSink.withLockedValue { $0 = { nftables.enqueue($0) } }
            self.nftables = nftables
        }
        runtime.onServicesChanged.withLockedValue { $0 = { [weak self] in await self?.syncListeners() } }
        runtime.reportSource.withLockedValue { $0 = { await monitor.reports() } }
        healthTask = Task {
            for await event in monitor.events {
                runtime.runNotify(runtime.healthChanged(event))
            }
        }
        await monitor.update(runtime.checkTargets(configuration))
        let staged = try await bindMissing(wantedListeners(configuration, table: runtime.desiredTable))
        commitListeners(staged, wanted: wantedListeners(configuration, table: runtime.desiredTable))
        if let settings = configuration.admin {
            admin = try await startAdmin(settings)
        }
        adminSettings = configuration.admin
        let kernel = self.kernel, nftables = self.nftables
        ticker = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            runtime.tick()
            // The kernel forwards: its counters, connection counts and rates are the ones to show.
            if let kernel { Task { if let snapshot = try? await kernel.kernel.snapshot() { runtime.observe(snapshot) } } }
            if let nftables { Task { runtime.observe(counters: await nftables.counters()) } }
        }
        runtime.runNotify(notify)
        if let settings = configuration.failover {
            // Last: a router that becomes master finds the listeners already bound on the wildcard address.
            let service = FailoverService(configuration: settings, logger: logger)
            try await service.start()
            failover.withLockedValue { $0 = service }
            if let sync = settings.sync, let kernel {
                let control = KernelSyncControl(sync, kernel: kernel.kernel, failover: service, logger: logger)
                await control.start()
                kernelSync.withLockedValue { $0 = control }
            } else if let sync = settings.sync {
                let daemon = ConnectionSyncBridge.daemon(sync, runtime: runtime, failover: service, logger: logger)
                do {
                    try daemon.start()
                } catch {
                    await stopFailover()
                    throw error
                }
                connectionSync.withLockedValue { $0 = daemon }
            }
        }
        logger.notice("director started", metadata: ["services": "\(configuration.services.count)"])
    }

    /// `configuration` with an authenticator for every mail service that names a directory (opened now if
    /// no service named it before); a directory that cannot be opened fails the start or the reload.
    private func openingMailDirectories(_ configuration: DirectorConfiguration) async throws -> DirectorConfiguration {
        var configuration = configuration
        for index in configuration.services.indices {
            guard let reference = configuration.services[index].mail?.directory else { continue }
            if mailAuthenticators[reference] == nil {
                let directory = try await reference.spec.openDirectory(ldap: reference.ldap, logger: logger)
                mailAuthenticators[reference] = MailAuthenticator(directory: directory, logger: logger)
            }
            configuration.services[index].mail?.authenticator = mailAuthenticators[reference]
        }
        return configuration
    }

    /// Re-reads the configuration and applies only what changed, all or nothing: new listeners (and a moved
    /// admin API) are bound before anything changes, so a busy address or a bad file leaves the running
    /// table, listeners and admin API exactly as they were.
    @discardableResult
    public func reload() async -> Bool {
        await serializingListenerChanges { await self.reloadNow() }
    }

    private func reloadNow() async -> Bool {
        var staged: [ListenerKey: Listener] = [:]
        var stagedAdmin: AdminServer?
        do {
            let next = try await openingMailDirectories(try load())
            try checkDataplane(next)
            guard next.failover == configuration.failover else {
                throw FailoverError("the failover block changed; restart the director to apply it (a reload keeps the VRRP instances running)")
            }
            let wanted = wantedListeners(next, table: nil)
            staged = try await bindMissing(wanted)
            let adminMoves = next.admin != nil && next.admin?.listen != adminSettings?.listen
            if adminMoves, let settings = next.admin { stagedAdmin = try await startAdmin(settings) }
            let notify = try runtime.load(next)
            // Committed: from here on nothing fails.
            configuration = next
            mailServiceKeys.withLockedValue { $0 = next.services.filter { $0.mail != nil }.map(\.config.key) }
            commitListeners(staged, wanted: wanted)
            await retireListeners(keeping: wanted)
            if next.admin != adminSettings { await replaceAdmin(next.admin, with: stagedAdmin) }
            await monitor.update(runtime.checkTargets(next))
            runtime.runNotify(notify)
            logger.notice("configuration reloaded", metadata: ["services": "\(next.services.count)"])
            return true
        } catch {
            for listener in staged.values { await stop(listener) }
            await stagedAdmin?.shutdown()
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
        await stopFailover()
        logger.notice("draining", metadata: ["connections": "\(registry.count)"])
        for listener in listeners.values { await stop(listener) }
        listeners = [:]
        let engine = epollEngine, timeout = configuration.drainTimeout
        async let closedByEngine = engine?.drain(timeout: .nanoseconds(Int64(timeout * 1_000_000_000))) ?? 0
        let closedByNIO = await registry.drain(timeout: .nanoseconds(Int64(timeout * 1_000_000_000)))
        let closed = closedByNIO + (await closedByEngine)
        if closed > 0 {
            logger.notice("drain timeout: closed the remaining connections", metadata: ["connections": "\(closed)"])
        }
        await shutdown()
    }

    /// Stops everything at once.
    public func shutdown() async {
        await stopFailover()
        for listener in listeners.values { await stop(listener) }
        listeners = [:]
        registry.closeAll()
        await epollEngine?.shutdown()
        epollEngine = nil
        ticker?.cancel()
        ticker = nil
        await monitor.stop()
        healthTask?.cancel()
        await admin?.shutdown()
        admin = nil
        runtime.changeSink.withLockedValue { $0 = nil }
        if let kernel, !leaveKernelRules {
            // The services this director installed (with `adopt`, the others stay).
            let installed = runtime.liveServices.services.map { IPVSCommand.deleteService($0.key) }
            do throws(IPVSBatchError) { try await kernel.kernel.apply(installed) } catch {
                logger.error("cannot remove the kernel's IPVS services", metadata: ["error": "\(error)"])
            }
        }
        await kernel?.shutdown()
        kernel = nil
        await nftables?.shutdown(keepRules: leaveKernelRules)
        nftables = nil
        logger.notice("director stopped")
    }

    /// With the nftables dataplane, refuses a configuration nftables cannot carry (before anything changes).
    private func checkDataplane(_ configuration: DirectorConfiguration) throws {
        if case .ipvs = dataplane, let sync = configuration.failover?.sync, let refusal = KernelSyncControl.refusal(sync) {
            throw FailoverError(refusal)
        }
        guard case let .nft(options) = dataplane else { return }
        try NFTDataplane.check(try configuration.desiredTable(), options: options)
    }

    /// Gives up the virtual addresses first (priority 0: the backup takes over at once), before draining.
    private func stopFailover() async {
        connectionSync.withLockedValue { current in
            current?.stop()
            current = nil
        }
        let control = kernelSync.withLockedValue { current -> KernelSyncControl? in
            defer { current = nil }
            return current
        }
        await control?.stop()
        let service = failover.withLockedValue { current -> FailoverService? in
            defer { current = nil }
            return current
        }
        await service?.stop()
    }

    /// The admin API's bound address, when it runs.
    public var adminAddress: Endpoint? {
        get async { await admin?.boundAddress }
    }

    /// How many client connections are open.
    public nonisolated var openConnections: Int { registry.count + (epollConnections.withLockedValue { $0 }?.openConnections ?? 0) }
    /// The epoll engine, for `openConnections` (read from any thread).
    private nonisolated let epollConnections = NIOLockedValueBox<EpollForwarder?>(nil)

    // MARK: Listeners and admin

    /// The addresses listened on, one per service (for operations and tests).
    public var listenerAddresses: [Endpoint] { listeners.keys.map(\.listen).sorted { $0.description < $1.description } }

    /// Runs listener changes one after another: reloads and admin changes await each other, so two of them
    /// never both bind (SO_REUSEPORT would let them) or both retire the same listener.
    private func serializingListenerChanges<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let previous = listenerChanges
        let task = Task { () -> T in
            await previous?.value
            return await body()
        }
        listenerChanges = Task { _ = await task.value }
        return await task.value
    }

    /// Services added through the admin API (not in the configuration) get a listener with the default
    /// settings; services removed through it lose theirs. Established connections are not touched.
    func syncListeners() async {
        await serializingListenerChanges { await self.syncListenersNow() }
    }

    private func syncListenersNow() async {
        let wanted = wantedListeners(configuration, table: runtime.desiredTable)
        do {
            commitListeners(try await bindMissing(wanted), wanted: wanted)
        } catch {
            logger.error("cannot listen for a service added through the admin API", metadata: ["error": "\(error)"])
        }
        await retireListeners(keeping: wanted)
    }

    /// The listeners a configuration asks for; with `table`, only for services in it, plus the TCP/UDP
    /// services the admin API added (default settings).
    private func wantedListeners(_ configuration: DirectorConfiguration, table: DirectorTable?) -> [ListenerKey: ServiceDefinition] {
        var wanted: [ListenerKey: ServiceDefinition] = [:]
        // With the kernel dataplane nothing listens: the kernel takes the packets.
        if dataplane.isKernel { return wanted }
        for service in configuration.services where table?.service(service.config.key) != nil || table == nil {
            wanted[ListenerKey(mode: service.mode, listen: service.listen, engine: service.proxy.engine)] = service
        }
        guard let table else { return wanted }
        let configured = Set(configuration.services.flatMap { $0.tableServices.map(\.config.key) })
        for service in table.services where !configured.contains(service.key) {
            guard case let .address(proto, vip) = service.key, proto == .tcp || proto == .udp, vip.port != 0 else { continue }
            var definition = ServiceDefinition(mode: proto == .udp ? .udp : .tcp, listen: vip, config: service.config, servers: [])
            definition.proxy = configuration.proxyDefaults
            wanted[ListenerKey(mode: definition.mode, listen: vip)] = definition
        }
        return wanted
    }

    /// Binds a listener for every wanted one not running yet (all or none: on error the new ones close).
    private func bindMissing(_ wanted: [ListenerKey: ServiceDefinition]) async throws -> [ListenerKey: Listener] {
        var bound: [ListenerKey: Listener] = [:]
        do {
            for (key, service) in wanted.sorted(by: { $0.key.listen.description < $1.key.listen.description })
            where listeners[key] == nil {
                bound[key] = try await makeListener(service)
            }
        } catch {
            for listener in bound.values { await stop(listener) }
            throw error
        }
        return bound
    }

    private func makeListener(_ service: ServiceDefinition) async throws -> Listener {
        switch service.mode {
        case .tcp where service.proxy.engine == .epoll && service.http == nil:
            let listener = EpollProxyListener(service: service.config.key, listen: service.listen, settings: service.proxy,
                                              scheduler: runtime, engine: try startedEpollEngine(), logger: logger)
            try listener.start()
            return .epoll(listener)
        case .tcp, .http:
            let listener = TCPProxyListener(service: service.config.key, listen: service.listen, settings: service.proxy,
                                            scheduler: runtime, registry: registry, logger: logger)
            listener.http = service.http
            try await listener.start(group: group)
            return .stream(listener)
        case .udp:
            let listener = UDPProxyListener(service: service.config.key, listen: service.listen, settings: service.proxy,
                                            scheduler: runtime, logger: logger)
            try await listener.start(group: group)
            return .datagram(listener)
        case .imap where service.proxy.engine == .epoll, .pop3 where service.proxy.engine == .epoll,
             .submission where service.proxy.engine == .epoll:
            guard let settings = service.mail else { throw DirectorMailError.missingSettings(service.listen) }
            let sessions = MailEpollSessions(settings: settings, virtual: service.listen, scheduler: runtime,
                                             statistics: mailStatistics, logger: logger)
            let listener = EpollProxyListener(service: service.config.key, listen: service.listen, settings: settings.proxy,
                                              scheduler: runtime, engine: try startedEpollEngine(), logger: logger, preambles: sessions)
            try listener.start()
            return .epoll(listener)
        case .imap, .pop3, .submission:
            guard let settings = service.mail else { throw DirectorMailError.missingSettings(service.listen) }
            let listener = MailProxyListener(service: service.config.key, listen: service.listen, settings: settings,
                                             scheduler: runtime, registry: registry, statistics: mailStatistics, logger: logger)
            try await listener.start(group: group)
            return .mail(listener)
        }
    }

    /// The epoll engine, its threads started at first use (one per event loop of the director's group).
    private func startedEpollEngine() throws -> EpollForwarder {
        if let epollEngine { return epollEngine }
        let engine = try EpollForwarder(threadCount: Array(group.makeIterator()).count, logger: logger)
        epollEngine = engine
        epollConnections.withLockedValue { $0 = engine }
        return engine
    }

    /// Takes the newly bound listeners in and gives the running ones their (possibly new) settings.
    private func commitListeners(_ staged: [ListenerKey: Listener], wanted: [ListenerKey: ServiceDefinition]) {
        listeners.merge(staged) { old, _ in old }
        for (key, listener) in listeners {
            guard let service = wanted[key] else { continue }
            switch listener {
            case let .stream(listener):
                listener.settings = service.proxy
                listener.http = service.http
            case let .epoll(listener):
                listener.settings = service.proxy
                if let settings = service.mail {
                    listener.preambleFactory = MailEpollSessions(settings: settings, virtual: service.listen, scheduler: runtime,
                                                                 statistics: mailStatistics, logger: logger)
                }
            case let .datagram(listener):
                listener.settings = service.proxy
            case let .mail(listener):
                if let settings = service.mail { listener.settings = settings }
            }
        }
    }

    /// Stops the listeners no longer wanted; their established connections carry on.
    private func retireListeners(keeping wanted: [ListenerKey: ServiceDefinition]) async {
        for (key, listener) in listeners where wanted[key] == nil {
            listeners[key] = nil
            await stop(listener)
        }
    }

    private func stop(_ listener: Listener) async {
        switch listener {
        case let .stream(l): await l.stop()
        case let .epoll(l): await l.stop()
        case let .datagram(l): await l.stop()
        case let .mail(l): await l.stop()
        }
    }

    private func startAdmin(_ settings: AdminSettings) async throws -> AdminServer {
        let server = AdminServer(configuration: AdminServerConfiguration(listen: settings.listen, token: settings.token),
                                 control: mailControl, group: group, logger: logger)
        try await server.start()
        return server
    }

    /// Swaps the admin API for the new settings: `staged` when it was bound already (a new address);
    /// otherwise the old one closes first and the new one takes the same address.
    private func replaceAdmin(_ settings: AdminSettings?, with staged: AdminServer?) async {
        let old = admin
        admin = staged
        adminSettings = settings
        await old?.shutdown()
        guard staged == nil, let settings else { return }
        do {
            admin = try await startAdmin(settings)
        } catch {
            logger.error("the admin API could not restart on its address", metadata: ["error": "\(error)"])
        }
    }
}

/// A mail service without its mail settings (only a configuration built by hand can be like that).
enum DirectorMailError: Error, CustomStringConvertible {
    case missingSettings(Endpoint)

    var description: String {
        switch self {
        case let .missingSettings(listen): "the mail service on \(listen) has no mail settings"
        }
    }
}
