public import Director

extension IPVSSnapshot {
    /// The snapshot as a director table — services, servers in the kernel's list order, counters, rates and
    /// timeouts — so ipvsadm's listings (`IPVSListing`) print the kernel's state exactly as the core's.
    public var table: DirectorTable {
        var table = DirectorTable(timeouts: timeouts)
        for entry in services {
            let key = entry.service.config.key
            // Servers were dumped newest first; adding them oldest first puts each at the head again.
            var batch: [(line: Int, command: IPVSCommand)] = [(0, .addService(entry.service.config))]
            batch += entry.servers.reversed().map { (0, IPVSCommand.addServer(key, $0.config)) }
            do {
                try table.apply(batch: batch)
            } catch {
                // The kernel never holds what the core refuses; keep what applied.
                continue
            }
            table.setObservedCounters(key, stats: entry.service.stats, rates: entry.service.rates)
            for server in entry.servers {
                table.setObservedCounters(key, server: server.config.endpoint, active: server.activeConnections,
                                          inactive: server.inactiveConnections, persistent: server.persistentConnections,
                                          stats: server.stats, rates: server.rates)
            }
        }
        return table
    }

    /// ipvsadm's banner with the kernel's version and connection table size.
    public var versionLine: String {
        "IP Virtual Server version \(info.versionText) (size=\(info.connectionTableSize))"
    }
}
