import Director
public import DirectorIPVS

extension DirectorRuntime {
    /// Copies the kernel's counters, connection counts and rates into the live table (the kernel dataplane
    /// forwards, so the listings, metrics and status page show what it counted).
    public func observe(_ snapshot: IPVSSnapshot) {
        live.withLockedValue { live in
            for entry in snapshot.services {
                let key = entry.service.config.key
                live.table.setObservedCounters(key, stats: entry.service.stats, rates: entry.service.rates)
                for server in entry.servers {
                    live.table.setObservedCounters(key, server: server.config.endpoint, active: server.activeConnections,
                                                   inactive: server.inactiveConnections, persistent: server.persistentConnections,
                                                   stats: server.stats, rates: server.rates)
                }
            }
        }
    }
}
