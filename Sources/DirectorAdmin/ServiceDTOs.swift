public import Director
public import HealthCheck
public import ShoalCore

/// Cumulative traffic counters in the API (`stats`).
public struct StatsDTO: Codable, Hashable, Sendable {
    public var connections: UInt64
    public var inPackets: UInt64
    public var outPackets: UInt64
    public var inBytes: UInt64
    public var outBytes: UInt64

    public init(_ s: TrafficStats) {
        connections = s.connections
        inPackets = s.inPackets
        outPackets = s.outPackets
        inBytes = s.inBytes
        outBytes = s.outBytes
    }
}

/// Smoothed per-second rates in the API (`rates`).
public struct RatesDTO: Codable, Hashable, Sendable {
    public var connectionsPerSecond: UInt64
    public var inPacketsPerSecond: UInt64
    public var outPacketsPerSecond: UInt64
    public var inBytesPerSecond: UInt64
    public var outBytesPerSecond: UInt64

    public init(_ r: TrafficRates) {
        connectionsPerSecond = r.connectionsPerSecond
        inPacketsPerSecond = r.inPacketsPerSecond
        outPacketsPerSecond = r.outPacketsPerSecond
        inBytesPerSecond = r.inBytesPerSecond
        outBytesPerSecond = r.outBytesPerSecond
    }
}

/// Persistence of a service: template timeout and client netmask (IPv4 dotted quad, IPv6 prefix length).
public struct PersistenceDTO: Codable, Hashable, Sendable {
    public var timeout: Int
    @NullEncoded public var netmask: String?

    public init(timeout: Int, netmask: String?) {
        self.timeout = timeout
        self.netmask = netmask
    }
}

/// One health check outcome (`last_result`, `history`).
public struct CheckResultDTO: Codable, Hashable, Sendable {
    public var time: Double
    public var succeeded: Bool
    public var message: String
    @NullEncoded public var dynamicWeight: Int?

    public init(_ r: CheckResult) {
        time = r.time
        succeeded = r.succeeded
        message = r.message
        dynamicWeight = r.dynamicWeight
    }
}

/// The health of one server (`health`): `checked` is false when no check runs (then `up` is true).
public struct HealthDTO: Codable, Hashable, Sendable {
    public var checked: Bool
    public var up: Bool
    @NullEncoded public var checkKind: String?
    @NullEncoded public var lastResult: CheckResultDTO?
    @NullEncoded public var lastChange: Double?
    public var history: [CheckResultDTO]

    public init(_ report: ServerHealthReport?) {
        checked = report?.checkKind != nil
        up = ServerState.isUp(report)
        checkKind = report?.checkKind
        lastResult = report?.lastResult.map(CheckResultDTO.init)
        lastChange = report?.lastChange
        history = report?.history.map(CheckResultDTO.init) ?? []
    }
}

/// A real server of a service as `GET /api/services` shows it.
public struct ServerDTO: Codable, Hashable, Sendable {
    public var id: String
    public var endpoint: String
    public var address: String
    public var port: UInt16
    public var weight: Int
    public var forwarding: String
    public var upperThreshold: Int
    public var lowerThreshold: Int
    public var overloaded: Bool
    public var activeConnections: Int
    public var inactiveConnections: Int
    public var persistentConnections: Int
    public var state: ServerState
    public var stats: StatsDTO
    public var rates: RatesDTO
    public var health: HealthDTO

    public init(_ server: RealServer, health report: ServerHealthReport?) {
        id = ServicePathID.string(for: server.endpoint)
        endpoint = server.endpoint.description
        address = server.endpoint.address.description
        port = server.endpoint.port
        weight = server.weight
        forwarding = ForwardingNames.name(server.config.forwarding)
        upperThreshold = server.config.upperThreshold
        lowerThreshold = server.config.lowerThreshold
        overloaded = server.isOverloaded
        activeConnections = server.activeConnections
        inactiveConnections = server.inactiveConnections
        persistentConnections = server.persistentConnections
        state = ServerState(weight: server.weight, health: report)
        stats = StatsDTO(server.stats)
        rates = RatesDTO(server.rates)
        health = HealthDTO(report)
    }
}

/// Service flags: one-packet scheduling, scheduler flags (named as ipvsadm lists them) and persistence engine.
public struct ServiceFlagsDTO: Codable, Hashable, Sendable {
    public var onePacket: Bool
    public var schedulerFlags: [String]
    @NullEncoded public var persistenceEngine: String?
}

/// A virtual service as `GET /api/services` shows it.
public struct ServiceDTO: Codable, Hashable, Sendable {
    public var id: String
    public var key: String
    @NullEncoded public var `protocol`: String?
    @NullEncoded public var address: String?
    @NullEncoded public var port: UInt16?
    @NullEncoded public var fwmark: UInt32?
    public var family: String
    public var scheduler: String
    @NullEncoded public var persistence: PersistenceDTO?
    public var flags: ServiceFlagsDTO
    public var activeConnections: Int
    public var inactiveConnections: Int
    public var stats: StatsDTO
    public var rates: RatesDTO
    public var servers: [ServerDTO]

    public init(_ service: VirtualService, health: [HealthKey: ServerHealthReport]) {
        let key = service.key
        id = ServicePathID.string(for: key)
        self.key = ServiceKeyText.text(key)
        switch key {
        case let .address(proto, endpoint):
            self.protocol = ServicePathID.protocolName(proto)
            address = endpoint.address.description
            port = endpoint.port
            fwmark = nil
        case let .fwmark(mark, _):
            self.protocol = nil
            address = nil
            port = nil
            fwmark = mark
        }
        family = key.family == .inet6 ? "inet6" : "inet"
        scheduler = service.config.scheduler.rawValue
        persistence = service.config.persistence.map {
            PersistenceDTO(timeout: $0.timeout, netmask: NetmaskText.text($0.netmask, family: key.family))
        }
        flags = ServiceFlagsDTO(
            onePacket: service.config.onePacket,
            schedulerFlags: service.config.schedulerFlags.names(for: service.config.scheduler),
            persistenceEngine: service.config.persistenceEngine)
        activeConnections = service.servers.reduce(0) { $0 + $1.activeConnections }
        inactiveConnections = service.servers.reduce(0) { $0 + $1.inactiveConnections }
        stats = StatsDTO(service.stats)
        rates = RatesDTO(service.rates)
        servers = service.servers.map { ServerDTO($0, health: health[HealthKey(service: key, server: $0.endpoint)]) }
    }
}

/// The human-readable service key: `tcp 127.0.0.1:8080`, `udp [::1]:53`, `fwm 5`, `fwm6 5`.
public enum ServiceKeyText {
    public static func text(_ key: VirtualServiceKey) -> String {
        switch key {
        case let .address(proto, endpoint): return "\(ServicePathID.protocolName(proto)) \(endpoint)"
        case let .fwmark(mark, family): return family == .inet6 ? "fwm6 \(mark)" : "fwm \(mark)"
        }
    }
}

/// Forwarding method names in JSON: masquerade, route, tunnel, local.
public enum ForwardingNames {
    public static func name(_ method: ForwardingMethod) -> String {
        switch method {
        case .masquerade: return "masquerade"
        case .route: return "route"
        case .tunnel: return "tunnel"
        case .local: return "local"
        }
    }

    /// Reads a name (also ipvsadm's switches and listing names: `-m`, `masq`, `-g`, `gatewaying`, `-i`, `ipip`).
    public static func method(_ name: String) -> ForwardingMethod? {
        switch name.lowercased() {
        case "masquerade", "masq", "nat", "-m": return .masquerade
        case "route", "gatewaying", "dr", "-g": return .route
        case "tunnel", "ipip", "-i": return .tunnel
        case "local": return .local
        default: return nil
        }
    }
}

/// Persistence netmasks as JSON text: the dotted quad or prefix length of ``PersistenceNetmask``.
public enum NetmaskText {
    public static func text(_ netmask: UInt32, family: AddressFamily) -> String {
        PersistenceNetmask.text(netmask, family: family)
    }

    /// Reads a netmask for this family; nil when ``PersistenceNetmask`` refuses it (IPv4 masks must be contiguous).
    public static func netmask(_ text: String, family: AddressFamily) -> UInt32? {
        try? PersistenceNetmask.parse(text, family: family)
    }
}
