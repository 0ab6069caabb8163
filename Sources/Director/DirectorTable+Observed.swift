public import ShoalCore

extension DirectorTable {
    /// Sets a service's counters and rates to what a kernel dataplane reports (for listings and metrics).
    public mutating func setObservedCounters(_ key: VirtualServiceKey, stats: TrafficStats, rates: TrafficRates) {
        guard let i = serviceIndex[key] else { return }
        services[i].stats = stats
        services[i].observedRates = rates
    }

    /// Sets a real server's connection counts, counters and rates to what a kernel dataplane reports.
    public mutating func setObservedCounters(_ key: VirtualServiceKey, server endpoint: Endpoint, active: Int, inactive: Int,
                                             persistent: Int, stats: TrafficStats, rates: TrafficRates) {
        guard let i = serviceIndex[key], let j = services[i].index(of: endpoint) else { return }
        services[i].servers[j].activeConnections = active
        services[i].servers[j].inactiveConnections = inactive
        services[i].servers[j].persistentConnections = persistent
        services[i].servers[j].stats = stats
        services[i].servers[j].observedRates = rates
    }
}
