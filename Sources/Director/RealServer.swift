public import ShoalCore

/// A stable identity for a real server, kept while it moves in its service's list or waits in the trash.
public struct ServerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    public static func < (a: ServerID, b: ServerID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// What an `-a`/`-e` rule sets on a real server.
public struct RealServerConfig: Hashable, Sendable {
    public var endpoint: Endpoint
    public var forwarding: ForwardingMethod = .route
    /// 0...Int32.max (the kernel refuses only negative weights); 0 quiesces the server (no new connections).
    public var weight: Int = 1
    /// `-x`: overloaded once active + inactive reaches this (0 = no limit).
    public var upperThreshold: Int = 0
    /// `-y`: the overload flag clears when active + inactive falls below this.
    public var lowerThreshold: Int = 0
    public var tunnel = TunnelInfo()

    public init(endpoint: Endpoint, forwarding: ForwardingMethod = .route, weight: Int = 1,
                upperThreshold: Int = 0, lowerThreshold: Int = 0, tunnel: TunnelInfo = TunnelInfo()) {
        self.endpoint = endpoint
        self.forwarding = forwarding
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.tunnel = tunnel
    }
}

/// Why a real server's settings were refused, naming the setting (front ends map it to their own field name).
public struct RealServerConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The settings a front end can point at.
    public enum Setting: Hashable, Sendable { case weight, upperThreshold, lowerThreshold }
    public var setting: Setting
    public var message: String
    public var description: String { message }
}

extension RealServerConfig {
    /// The one check of weight and thresholds (ip_vs_add_dest / ip_vs_edit_dest): weight 0...Int32.max,
    /// thresholds 0...Int32.max, and the lower threshold not above the upper (also when the upper is 0).
    public func validate() throws(RealServerConfigError) {
        guard (0...Int(Int32.max)).contains(weight) else {
            throw RealServerConfigError(setting: .weight, message: "server weight out of range 0-\(Int32.max)")
        }
        guard (0...Int(Int32.max)).contains(upperThreshold) else {
            throw RealServerConfigError(setting: .upperThreshold, message: "upper threshold out of range 0-\(Int32.max)")
        }
        guard (0...Int(Int32.max)).contains(lowerThreshold) else {
            throw RealServerConfigError(setting: .lowerThreshold, message: "lower threshold out of range 0-\(Int32.max)")
        }
        guard lowerThreshold <= upperThreshold else {
            throw RealServerConfigError(setting: .lowerThreshold, message: "lower threshold is higher than upper threshold")
        }
    }
}

/// How a connection counts against its real server (ip_vs_bind_dest).
public enum ConnectionLoad: Sendable {
    case active, inactive, template
}

/// A real server of a virtual service with its live counters and the kernel's overload flag.
public struct RealServer: Hashable, Sendable {
    public let id: ServerID
    public internal(set) var config: RealServerConfig
    /// The latest non-zero weight (what mh builds its table from while the server is quiesced).
    public internal(set) var lastWeight: Int
    public internal(set) var activeConnections = 0
    public internal(set) var inactiveConnections = 0
    public internal(set) var persistentConnections = 0
    /// IP_VS_DEST_F_OVERLOAD: set and cleared by the threshold hysteresis.
    public internal(set) var isOverloaded = false
    /// IP_VS_DEST_F_AVAILABLE: false once deleted from its service (it waits in the trash).
    public internal(set) var isAvailable = true
    public internal(set) var stats = TrafficStats()
    var estimator = RateEstimator()
    /// Rates a kernel dataplane reported; they replace the estimator's when set.
    var observedRates: TrafficRates?

    init(id: ServerID, config: RealServerConfig) {
        self.id = id
        self.config = config
        self.lastWeight = config.weight
    }

    public var endpoint: Endpoint { config.endpoint }
    public var weight: Int { config.weight }
    public var rates: TrafficRates { observedRates ?? estimator.rates }

    /// ip_vs_dest_conn_overhead: active connections weigh 256 times an inactive one.
    @inline(__always) public var overhead: Int { (activeConnections << 8) + inactiveConnections }
    /// ip_vs_dest_totalconns: what the thresholds are compared with.
    @inline(__always) public var totalConnections: Int { activeConnections + inactiveConnections }
    /// Neither overloaded nor quiesced: the test most schedulers apply.
    @inline(__always) public var isUsable: Bool { !isOverloaded && config.weight > 0 }

    /// Applies an edit (ip_vs_update_dest): weight, thresholds, forwarding; clears overload when the upper limit rises or goes.
    mutating func update(_ new: RealServerConfig) {
        if new.weight != 0 { lastWeight = new.weight }
        if new.upperThreshold == 0 || new.upperThreshold > config.upperThreshold { isOverloaded = false }
        config = new
        isAvailable = true
    }

    /// ip_vs_bind_dest: count the connection, then set overload when the upper threshold is reached.
    mutating func bind(_ load: ConnectionLoad) {
        switch load {
        case .active: activeConnections += 1
        case .inactive: inactiveConnections += 1
        case .template: persistentConnections += 1
        }
        if config.upperThreshold != 0 && totalConnections >= config.upperThreshold { isOverloaded = true }
    }

    /// ip_vs_unbind_dest: uncount the connection, then clear overload by the lower threshold (or 3/4 of the upper).
    mutating func unbind(_ load: ConnectionLoad) {
        switch load {
        case .active: activeConnections -= 1
        case .inactive: inactiveConnections -= 1
        case .template: persistentConnections -= 1
        }
        if config.lowerThreshold != 0 {
            if totalConnections < config.lowerThreshold { isOverloaded = false }
        } else if config.upperThreshold != 0 {
            if totalConnections * 4 < config.upperThreshold * 3 { isOverloaded = false }
        } else {
            isOverloaded = false
        }
    }

    /// An established connection left the ESTABLISHED state (set_tcp_state): active becomes inactive.
    mutating func deactivate() {
        activeConnections -= 1
        inactiveConnections += 1
    }

    /// An inactive connection became established again.
    mutating func activate() {
        inactiveConnections -= 1
        activeConnections += 1
    }

    /// True while connections or templates still reference the server.
    var isReferenced: Bool { activeConnections + inactiveConnections + persistentConnections > 0 }
}
