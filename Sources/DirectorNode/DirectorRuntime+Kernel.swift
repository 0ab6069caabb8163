public import Director
public import DirectorIPVS
public import ShoalCore

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

extension DirectorRuntime {
    /// Copies the nftables dataplane's per-server counters into the live table; each service's counters are
    /// the sum of its servers' (nftables keeps no connection entries, so connection counts stay as they are).
    public func observe(counters: [VirtualServiceKey: [Endpoint: TrafficStats]]) {
        live.withLockedValue { live in
            for (key, servers) in counters {
                guard let service = live.table.service(key) else { continue }
                var total = TrafficStats()
                for server in service.servers {
                    let stats = servers[server.endpoint] ?? TrafficStats()
                    total += stats
                    live.table.setObservedCounters(key, server: server.endpoint, active: server.activeConnections, inactive: server.inactiveConnections,
                                                   persistent: server.persistentConnections, stats: stats, rates: server.rates)
                }
                live.table.setObservedCounters(key, stats: total, rates: service.rates)
            }
        }
    }
}
