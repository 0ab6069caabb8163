#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import ServiceLifecycle
import UnixSignals

/// The one signal policy of every `shoal` command that runs servers: its services run in one
/// `ServiceGroup`; SIGTERM and SIGINT shut them down gracefully (stop accepting, drain), SIGHUP calls
/// `reload` (each node re-reads its configuration and applies it all or nothing).
///
/// The group shuts services down one after another, in reverse order: a node whose servers should drain
/// together runs them as one service (see ``ServerGroup``).
public enum NodeRunner {
    /// Runs `services` until a termination signal has drained them all (or one of them fails).
    public static func run(_ services: [any Service], reload: (@Sendable () async -> Void)? = nil, logger: Logger) async throws {
        unblockSignals()
        var configured = services.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
        }
        if let reload {
            // Listed last, so the group's graceful shutdown (in reverse order) stops reloading first.
            configured.append(.init(service: ReloadSignalService(reload: reload, logger: logger), successTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: configured, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// What every node does first: signals unblocked, the open-files limit raised to the hard limit, freed
    /// memory kept for reuse.
    public static func prepareProcess() {
        unblockSignals()
        ProcessLimits.raiseOpenFiles()
        ProcessLimits.keepFreedMemory()
    }

    /// A parent that started us from a thread blocking signals (Dispatch workers block SIGTERM) passes that
    /// mask on; unblock the signals the policy handles.
    public static func unblockSignals() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signo in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&unblock, signo) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }
}

/// Calls `reload` for every SIGHUP until the group shuts down.
struct ReloadSignalService: Service {
    let reload: @Sendable () async -> Void
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading")
            await reload()
        }
    }
}
