public import Director
public import DirectorAdmin
import HealthCheck
public import ShoalCore

/// The admin API's view: snapshots of the live table and changes to the desired one.
extension DirectorRuntime: DirectorControl {
    public func snapshot() async -> DirectorSnapshot {
        let reports = await reportSource.withLockedValue { $0 }?() ?? [:]
        return DirectorSnapshot(table: liveServices, configured: desiredTable, health: reports, startedAt: startedAt)
    }

    public func connectionListing() async -> ConnectionListing { liveConnections }

    /// Applies admin changes to the desired table, all or nothing, then reconciles the live table.
    /// Established connections are untouched: a removed server's connections drain from the trash.
    public func apply(_ commands: [IPVSCommand]) async throws(ConfigError) {
        // Timeouts set through the admin API apply to the live table too.
        let notify = try transaction(syncingTimeouts: true) { (next: inout Control) throws(ConfigError) -> Bool in
            try next.desired.apply(batch: commands.enumerated().map { ($0.offset + 1, $0.element) })
            let wanted = Set(next.desired.services.map(\.key))
            next.health = next.health.filter { wanted.contains($0.key.service) }
            next.policies = next.policies.filter { wanted.contains($0.key) }
            return true
        }
        for command in commands {
            logger.notice("admin change", metadata: ["command": "\(command)"])
        }
        runNotify(notify)
        if commands.contains(where: Self.changesServices), let listenersFollow = onServicesChanged.withLockedValue({ $0 }) {
            // The answer goes out once the listeners match the table.
            await listenersFollow()
        }
    }

    /// True for commands that add or remove services (listeners follow them).
    static func changesServices(_ command: IPVSCommand) -> Bool {
        switch command {
        case .addService, .deleteService, .flush: return true
        default: return false
        }
    }

    /// Runs quorum notify commands off the caller's thread.
    func runNotify(_ commands: [String]) {
        guard !commands.isEmpty else { return }
        let logger = self.logger
        Task {
            for command in commands { _ = await ShellCommand.notify(command, logger: logger) }
        }
    }
}
