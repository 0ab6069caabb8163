public import ShoalCore

/// One configured real server of a service with its current health, as the policy sees it.
public struct ServiceMember: Hashable, Sendable {
    public var endpoint: Endpoint
    /// The weight in the configuration.
    public var weight: Int
    public var isUp: Bool
    /// A weight a command check asked for; it replaces the configured weight while set.
    public var dynamicWeight: Int?

    public init(endpoint: Endpoint, weight: Int, isUp: Bool, dynamicWeight: Int? = nil) {
        self.endpoint = endpoint
        self.weight = weight
        self.isUp = isUp
        self.dynamicWeight = dynamicWeight
    }

    /// The weight the server gets while it is up.
    public var effectiveWeight: Int { dynamicWeight ?? weight }
}

/// The keepalived virtual_server options that decide which servers are in the table.
public struct ServiceHealthOptions: Hashable, Sendable {
    /// A down server stays in the table with weight 0 instead of being removed.
    public var inhibitOnFailure: Bool
    /// Takes the traffic (weight 1) while the quorum is lost, instead of the remaining live servers.
    public var sorryServer: Endpoint?
    /// The least sum of live weights for the service to count as up.
    public var quorum: Int
    /// The quorum goes up at `quorum + hysteresis` and down below `quorum - hysteresis`.
    public var hysteresis: Int
    /// Command to run when the quorum is gained.
    public var quorumUp: String?
    /// Command to run when the quorum is lost.
    public var quorumDown: String?

    public init(inhibitOnFailure: Bool = false, sorryServer: Endpoint? = nil, quorum: Int = 1, hysteresis: Int = 0,
                quorumUp: String? = nil, quorumDown: String? = nil) {
        self.inhibitOnFailure = inhibitOnFailure
        self.sorryServer = sorryServer
        self.quorum = quorum
        self.hysteresis = hysteresis
        self.quorumUp = quorumUp
        self.quorumDown = quorumDown
    }
}

/// A change of a service's state that the director reports (and may run a notify command for).
public enum ServiceTransition: Hashable, Sendable {
    /// The live weight reached the quorum; `notify` is the quorum_up command, if any.
    case quorumGained(liveWeight: Int, notify: String?)
    /// The live weight fell below the quorum; `notify` is the quorum_down command, if any.
    case quorumLost(liveWeight: Int, notify: String?)
    /// The sorry server entered the table.
    case sorryServerIn(Endpoint)
    /// The sorry server left the table.
    case sorryServerOut(Endpoint)
}

/// What should be in the director's table for one service now, and what changed.
public struct ServicePlan: Hashable, Sendable {
    /// One real server to have in the table, with its weight.
    public struct Entry: Hashable, Sendable {
        public var endpoint: Endpoint
        public var weight: Int

        public init(endpoint: Endpoint, weight: Int) {
            self.endpoint = endpoint
            self.weight = weight
        }
    }

    /// The servers to have in the table, in configuration order (the sorry server last).
    public var entries: [Entry]
    /// What changed since the previous plan.
    public var transitions: [ServiceTransition]
    /// Whether the service has its quorum.
    public var quorumUp: Bool
    /// The sum of the weights of the live servers.
    public var liveWeight: Int

    /// The notify commands to run for the transitions, in order.
    public var notifyCommands: [String] {
        transitions.compactMap {
            switch $0 {
            case let .quorumGained(_, notify), let .quorumLost(_, notify): return notify
            default: return nil
            }
        }
    }
}

/// keepalived virtual_server semantics as a pure value: members and their health in, a table plan out.
///
/// * An up server is in the table with its dynamic weight, else its configured weight.
/// * A down server is removed, or kept with weight 0 under `inhibitOnFailure`.
/// * The quorum starts up. It goes down when the live weight (sum of the up servers' weights) falls below
///   `quorum - hysteresis`, and back up when it reaches `quorum + hysteresis`; in between it stays.
/// * While the quorum is lost and a sorry server is set, the sorry server (weight 1) takes the traffic and
///   the live servers leave the table (kept with weight 0 under `inhibitOnFailure`), as keepalived does.
///   Without a sorry server the remaining live servers keep serving.
public struct ServiceHealthPolicy: Hashable, Sendable {
    public var options: ServiceHealthOptions
    public private(set) var quorumUp = true
    /// The sorry server in the table now, if any.
    public private(set) var activeSorryServer: Endpoint?

    public init(options: ServiceHealthOptions = ServiceHealthOptions()) {
        self.options = options
    }

    /// The sum of the weights of the up members.
    public static func liveWeight(_ members: [ServiceMember]) -> Int {
        members.reduce(0) { $0 + ($1.isUp ? max(0, $1.effectiveWeight) : 0) }
    }

    /// The table for the members' current health; updates the quorum state.
    public mutating func plan(_ members: [ServiceMember]) -> ServicePlan {
        let live = Self.liveWeight(members)
        var transitions: [ServiceTransition] = []
        if quorumUp && live < options.quorum - options.hysteresis {
            quorumUp = false
            transitions.append(.quorumLost(liveWeight: live, notify: options.quorumDown))
        } else if !quorumUp && live >= options.quorum + options.hysteresis {
            quorumUp = true
            transitions.append(.quorumGained(liveWeight: live, notify: options.quorumUp))
        }

        let sorry = quorumUp ? nil : options.sorryServer
        var entries: [ServicePlan.Entry] = []
        for member in members where member.endpoint != sorry {
            if member.isUp && sorry == nil {
                entries.append(.init(endpoint: member.endpoint, weight: max(0, member.effectiveWeight)))
            } else if options.inhibitOnFailure {
                entries.append(.init(endpoint: member.endpoint, weight: 0))
            }
        }
        if let sorry {
            entries.append(.init(endpoint: sorry, weight: 1))
        }

        if activeSorryServer != sorry {
            if let old = activeSorryServer { transitions.append(.sorryServerOut(old)) }
            if let sorry { transitions.append(.sorryServerIn(sorry)) }
        }
        activeSorryServer = sorry
        return ServicePlan(entries: entries, transitions: transitions, quorumUp: quorumUp, liveWeight: live)
    }
}
