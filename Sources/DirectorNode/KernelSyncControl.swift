import Director
import DirectorIPVS
import Failover
import Logging
import NIOConcurrencyHelpers

/// With `--dataplane ipvs`, the kernel's own sync daemons carry the connection state (keepalived's
/// `lvs_sync_daemon`): a master daemon while one of the VRRP instances is master, a backup daemon otherwise,
/// switched through netlink when the role changes. Shoal's userspace sync daemon does not run then: the kernel
/// holds the connections, and its daemons send and install them, templates included.
final class KernelSyncControl: Sendable {
    let kernel: IPVSKernel
    let settings: SyncDaemonSettings
    let failover: FailoverService
    let logger: Logger
    /// The role whose daemon this control started, and the last error logged (each logged once).
    private let state = NIOLockedValueBox<(running: IPVSSyncDaemon.Role?, lastError: String?)>((nil, nil))
    private let loop = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// How often the instances' states are read (a takeover switches the daemon within this).
    static let pollInterval: Duration = .milliseconds(100)

    init(_ configuration: ConnectionSyncConfiguration, kernel: IPVSKernel, failover: FailoverService, logger: Logger) {
        self.kernel = kernel
        self.failover = failover
        self.logger = logger
        settings = Self.settings(configuration)
    }

    /// The kernel daemon's settings for a `failover.sync` block: same interface and sync id; the port only when
    /// it is not the protocol's 8848 (the kernel's default, left out as ipvsadm leaves it out).
    static func settings(_ configuration: ConnectionSyncConfiguration) -> SyncDaemonSettings {
        SyncDaemonSettings(interface: configuration.interface, syncID: UInt32(configuration.syncID),
                           port: configuration.port == IPVSSyncMessage.port ? 0 : configuration.port)
    }

    /// Why the kernel's daemons cannot carry `configuration`, or nil: they send only to a multicast group.
    static func refusal(_ configuration: ConnectionSyncConfiguration) -> String? {
        configuration.peers.isEmpty ? nil
            : "failover.sync.peers: the kernel's sync daemon (--dataplane ipvs) sends only to its multicast group; remove the peers or use the userspace dataplane"
    }

    /// The daemon role the instances' states call for: master while any instance is master.
    var wantedRole: IPVSSyncDaemon.Role {
        failover.status.contains { $0.state == .master } ? .master : .backup
    }

    /// Starts the daemon of the current role now, then follows role changes until `stop()`.
    func start() async {
        await reconcile()
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pollInterval)
                guard let self else { return }
                await self.reconcile()
            }
        }
        loop.withLockedValue { $0 = task }
    }

    /// Stops the other role's daemon and starts the wanted one, when the role changed since the last call.
    func reconcile() async {
        let want = wantedRole
        guard state.withLockedValue({ $0.running }) != want else { return }
        // The other role's daemon may not run (the kernel answers ESRCH): nothing to stop then.
        _ = try? await kernel.perform(.deleteDaemon(want == .master ? .backup : .master))
        do throws(IPVSKernelError) {
            _ = try await kernel.perform(.newDaemon(IPVSSyncDaemon(role: want, settings: settings)))
            state.withLockedValue { $0 = (want, nil) }
            logger.notice("kernel sync daemon started", metadata: ["role": "\(want.rawValue)", "interface": "\(settings.interface)",
                                                                   "sync_id": "\(settings.syncID)"])
        } catch {
            let text = "\(error)"
            let first = state.withLockedValue { s -> Bool in
                defer { s.lastError = text }
                return s.lastError != text
            }
            if first { logger.error("kernel sync daemon did not start", metadata: ["role": "\(want.rawValue)", "error": "\(text)"]) }
        }
    }

    /// Ends the polling and stops the daemon this control started.
    func stop() async {
        let task = loop.withLockedValue { t -> Task<Void, Never>? in
            defer { t = nil }
            return t
        }
        task?.cancel()
        await task?.value
        let running = state.withLockedValue { s -> IPVSSyncDaemon.Role? in
            defer { s.running = nil }
            return s.running
        }
        if let running { _ = try? await kernel.perform(.deleteDaemon(running)) }
    }
}
