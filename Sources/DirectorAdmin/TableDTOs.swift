public import Director

/// `GET /api/stats`: totals over the whole table.
public struct TotalsDTO: Codable, Hashable, Sendable {
    public var services: Int
    public var servers: Int
    /// Entries in the connection table (persistence templates included).
    public var connectionEntries: Int
    public var activeConnections: Int
    public var inactiveConnections: Int
    public var persistentConnections: Int
    public var stats: StatsDTO
    public var rates: RatesDTO
    public var startedAt: Double
    public var uptimeSeconds: Double
    public var timeouts: TimeoutsDTO

    public init(_ snapshot: DirectorSnapshot, now: Double) {
        let table = snapshot.table
        var stats = TrafficStats(), rates = TrafficRates()
        var active = 0, inactive = 0, persistent = 0, servers = 0
        for service in table.services {
            stats.connections &+= service.stats.connections
            stats.record(inPackets: service.stats.inPackets, outPackets: service.stats.outPackets,
                         inBytes: service.stats.inBytes, outBytes: service.stats.outBytes)
            let r = service.rates
            rates.connectionsPerSecond &+= r.connectionsPerSecond
            rates.inPacketsPerSecond &+= r.inPacketsPerSecond
            rates.outPacketsPerSecond &+= r.outPacketsPerSecond
            rates.inBytesPerSecond &+= r.inBytesPerSecond
            rates.outBytesPerSecond &+= r.outBytesPerSecond
            for server in service.servers {
                servers += 1
                active += server.activeConnections
                inactive += server.inactiveConnections
                persistent += server.persistentConnections
            }
        }
        self.services = table.services.count
        self.servers = servers
        connectionEntries = table.connectionCount
        activeConnections = active
        inactiveConnections = inactive
        persistentConnections = persistent
        self.stats = StatsDTO(stats)
        self.rates = RatesDTO(rates)
        startedAt = snapshot.startedAt
        uptimeSeconds = max(0, now - snapshot.startedAt)
        timeouts = TimeoutsDTO(tcp: table.timeouts.tcp, tcpFin: table.timeouts.tcpFin, udp: table.timeouts.udp)
    }
}

/// Connection timeouts in seconds (`ipvsadm --set`).
public struct TimeoutsDTO: Codable, Hashable, Sendable {
    public var tcp: Int
    public var tcpFin: Int
    public var udp: Int
}

/// One entry of `GET /api/connections`.
public struct ConnectionDTO: Codable, Hashable, Sendable {
    public var `protocol`: String
    public var client: String
    public var virtual: String
    public var destination: String
    public var state: String
    /// Whole seconds until the entry's timer fires, on the table's clock.
    public var expiresIn: Int
    public var template: Bool

    public init(_ c: Connection, now: DirectorTime) {
        self.protocol = c.proto.listingName.lowercased()
        client = c.client.description
        virtual = c.virtual.description
        destination = c.destination.description
        state = c.state.rawValue
        expiresIn = now.seconds(until: c.expires)
        template = c.isTemplate
    }
}

/// `GET /api/connections`: the connection table, oldest entry first.
public struct ConnectionListDTO: Codable, Hashable, Sendable {
    public var count: Int
    public var connections: [ConnectionDTO]
}

/// `GET /api/services`.
public struct ServiceListDTO: Codable, Hashable, Sendable {
    public var services: [ServiceDTO]
}

/// The body of every error response: `{"error": "...", "field": "weight"}`.
public struct ErrorDTO: Codable, Hashable, Sendable {
    public var error: String
    @NullEncoded public var field: String?
}
