public import Director
public import ShoalCore

/// Which real server of which service a health state belongs to.
public struct HealthKey: Hashable, Sendable, CustomStringConvertible {
    public var service: VirtualServiceKey
    public var server: Endpoint

    public init(service: VirtualServiceKey, server: Endpoint) {
        self.service = service
        self.server = server
    }

    public var description: String { "\(service.ruleText) -> \(server)" }
}

/// The outcome of one check attempt.
public struct CheckResult: Hashable, Sendable {
    /// When the attempt finished, as wall-clock seconds since 1970.
    public var time: Double
    public var succeeded: Bool
    /// What was seen: "connected", "HTTP 503", "timeout after 2s", "exit 1", ...
    public var message: String
    /// A weight the checker asked for (an external command's exit code), if any.
    public var dynamicWeight: Int?

    public init(time: Double, succeeded: Bool, message: String, dynamicWeight: Int? = nil) {
        self.time = time
        self.succeeded = succeeded
        self.message = message
        self.dynamicWeight = dynamicWeight
    }
}

/// The health of one server as the admin API and status page show it.
public struct ServerHealthReport: Hashable, Sendable {
    public var isUp: Bool
    /// The check's kind ("tcp", "http", "smtp", ...), or nil when the server has no check.
    public var checkKind: String?
    public var lastResult: CheckResult?
    /// The most recent results, oldest first (bounded).
    public var history: [CheckResult]
    /// When the server last changed state (wall-clock seconds), if it ever did.
    public var lastChange: Double?
    /// The weight a command check with dynamic_weight last asked for, if any.
    public var dynamicWeight: Int?

    public init(isUp: Bool, checkKind: String? = nil, lastResult: CheckResult? = nil, history: [CheckResult] = [], lastChange: Double? = nil,
                dynamicWeight: Int? = nil) {
        self.dynamicWeight = dynamicWeight
        self.isUp = isUp
        self.checkKind = checkKind
        self.lastResult = lastResult
        self.history = history
        self.lastChange = lastChange
    }
}
