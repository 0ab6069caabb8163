public import Director
public import ShoalCore

/// The mail director's counters as the admin API shows them: logins proxied per node, refused and
/// unavailable logins, and spliced sessions open per node.
public struct MailProxyCounters: Sendable, Hashable {
    public var loginsProxied: [Endpoint: Int]
    public var loginsRefused: Int
    public var loginsUnavailable: Int
    public var sessions: [Endpoint: Int]

    public init(loginsProxied: [Endpoint: Int], loginsRefused: Int, loginsUnavailable: Int, sessions: [Endpoint: Int]) {
        self.loginsProxied = loginsProxied
        self.loginsRefused = loginsRefused
        self.loginsUnavailable = loginsUnavailable
        self.sessions = sessions
    }
}

/// Which node of a mail proxy service a user's new sessions go to now (nil: none can take them).
public struct MailPlacement: Sendable, Hashable {
    public var service: VirtualServiceKey
    public var node: Endpoint?

    public init(service: VirtualServiceKey, node: Endpoint?) {
        self.service = service
        self.node = node
    }
}

/// A director that runs mail proxies answers these too (`GET /api/mail/who/USER`, mail metrics).
public protocol MailDirectorControl: DirectorControl {
    func mailCounters() async -> MailProxyCounters
    func mailPlacements(for user: String) async -> [MailPlacement]
}

/// `GET /api/mail/who/USER`.
struct MailWhoDTO: Encodable {
    struct Placement: Encodable {
        var service: String
        var node: String?
    }

    var user: String
    var normalised: String
    var placements: [Placement]

    init(user: String, placements: [MailPlacement]) {
        self.user = user
        self.normalised = UserAffinityKey.normalised(user)
        self.placements = placements.map { Placement(service: ServiceKeyText.text($0.service), node: $0.node?.description) }
    }
}

/// `GET /api/mail/stats`.
struct MailStatsDTO: Encodable {
    struct Node: Encodable {
        var node: String
        var loginsProxied: Int
        var sessions: Int
    }

    var loginsRefused: Int
    var loginsUnavailable: Int
    var nodes: [Node]

    init(_ counters: MailProxyCounters) {
        loginsRefused = counters.loginsRefused
        loginsUnavailable = counters.loginsUnavailable
        let endpoints = Set(counters.loginsProxied.keys).union(counters.sessions.keys).sorted { $0.description < $1.description }
        nodes = endpoints.map { Node(node: $0.description, loginsProxied: counters.loginsProxied[$0] ?? 0, sessions: counters.sessions[$0] ?? 0) }
    }
}
