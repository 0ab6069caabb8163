import Director
public import HealthCheck

/// What the status page and API call a server: UP, DOWN, DRAIN (weight 0) or NOCHECK (no health check).
public enum ServerState: String, Codable, Hashable, Sendable, CaseIterable {
    case up = "UP"
    case down = "DOWN"
    case drain = "DRAIN"
    case noCheck = "NOCHECK"

    /// DOWN when a check says so; otherwise DRAIN when the weight is 0; otherwise UP, or NOCHECK when unchecked.
    public init(weight: Int, health: ServerHealthReport?) {
        let checked = health?.checkKind != nil
        if let health, checked, !health.isUp {
            self = .down
        } else if weight == 0 {
            self = .drain
        } else {
            self = checked ? .up : .noCheck
        }
    }

    /// Whether the server counts as up for `/metrics` (`1` when unchecked).
    public static func isUp(_ health: ServerHealthReport?) -> Bool {
        guard let health, health.checkKind != nil else { return true }
        return health.isUp
    }
}
