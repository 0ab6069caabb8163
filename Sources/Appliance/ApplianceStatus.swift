/// What `shoal status` reports (and `--json` gives test code): VIPs, nodes with addresses, ports, processes and
/// health as the director's own checks see it.
public struct ApplianceStatus: Sendable, Hashable, Codable {
    public struct Supervisor: Sendable, Hashable, Codable {
        public var pid: Int32?
        public var running: Bool
    }

    /// One real server of a virtual service, as the director's admin API lists it.
    public struct Server: Sendable, Hashable, Codable {
        public var node: String?
        public var endpoint: String
        /// UP, DOWN, DRAIN or NOCHECK; "unknown" when the director did not answer.
        public var state: String
        public var activeConnections: Int
    }

    public struct Service: Sendable, Hashable, Codable {
        public var name: String
        public var proto: ServiceProtocol
        public var address: String
        public var port: Int
        public var pool: String
        public var servers: [Server]
    }

    public struct Node: Sendable, Hashable, Codable {
        public var name: String
        public var kind: NodeKind
        public var pool: String?
        public var address: String
        public var ports: [String: Int]
        public var pid: Int32?
        public var running: Bool
        public var restarts: Int
        public var lastExit: String?
        public var healthy: Bool
    }

    public var name: String
    public var hosts: HostKind
    public var stateDirectory: String
    public var supervisor: Supervisor
    /// The director's admin API, `address:port`.
    public var admin: String
    public var healthy: Bool
    public var services: [Service]
    public var nodes: [Node]
    /// The netns host: the namespace clients reach the VIPs from (`ip netns exec NAME ...`).
    public var clientNamespace: String? = nil
    /// Webmail through the director's HTTPS VIP (`https://address:port/`), when the plan has one.
    public var webmail: String? = nil
    /// The admin site on each mail node's webmail listener, on the cluster's own network (not through a VIP).
    public var adminSites: [String]? = nil

    /// Director servers by endpoint (`address:port`) and service key, from `GET /api/services`.
    public struct DirectorView: Sendable, Hashable {
        /// A server's state (UP, DOWN, DRAIN, NOCHECK) and active connections.
        public struct Entry: Sendable, Hashable {
            public var state: String
            public var active: Int
            public init(state: String, active: Int) {
                self.state = state
                self.active = active
            }
        }

        /// Service listen endpoint → server endpoint → entry.
        public var servers: [String: [String: Entry]] = [:]

        public init() {}

        /// Reads the admin API's `{"services": [...]}` answer (fields it lacks are skipped, never trapped on).
        public init(json: Any) {
            guard let root = json as? [String: Any], let services = root["services"] as? [[String: Any]] else { return }
            for service in services {
                guard let address = service["address"] as? String, let port = service["port"] as? Int else { continue }
                var entries: [String: Entry] = [:]
                for server in service["servers"] as? [[String: Any]] ?? [] {
                    guard let endpoint = server["endpoint"] as? String else { continue }
                    entries[endpoint] = Entry(state: server["state"] as? String ?? "unknown", active: server["active_connections"] as? Int ?? 0)
                }
                servers["\(address):\(port)"] = entries
            }
        }
    }

    /// Combines the plan, the supervisor's state, the director's view (nil: it did not answer) and
    /// `reachable` (a TCP probe of a shared-tier node's first port).
    public static func make(plan: AppliancePlan, state: ApplianceState?, supervisorRunning: Bool, director: DirectorView?,
                            reachable: (PlannedNode) -> Bool) -> ApplianceStatus {
        let directorNode = plan.director
        var services: [Service] = []
        var nodeStates: [String: [String]] = [:]
        for service in plan.services {
            var servers: [Server] = []
            let listed = director?.servers[service.endpoint] ?? [:]
            for member in plan.members(of: service.pool) {
                let endpoint = "\(member.address):\(service.nodePort)"
                let entry = listed[endpoint]
                let state = director == nil ? "unknown" : entry?.state ?? "absent"
                servers.append(Server(node: member.name, endpoint: endpoint, state: state, activeConnections: entry?.active ?? 0))
                nodeStates[member.name, default: []].append(state)
            }
            for (endpoint, entry) in listed.sorted(by: { $0.key < $1.key }) where !servers.contains(where: { $0.endpoint == endpoint }) {
                servers.append(Server(node: nil, endpoint: endpoint, state: entry.state, activeConnections: entry.active))
            }
            services.append(Service(name: service.name, proto: service.proto, address: service.address, port: service.port,
                                    pool: service.pool, servers: servers))
        }
        var nodes: [Node] = []
        for planned in plan.nodes {
            let process = state?.node(planned.name)
            let running = supervisorRunning && (process?.running ?? false)
            let healthy: Bool
            switch planned.kind {
            case .director: healthy = running && director != nil
            case .mail, .web, .cache:
                let states = nodeStates[planned.name] ?? []
                healthy = running && (states.isEmpty ? reachable(planned) : states.allSatisfy { $0 == "UP" || $0 == "NOCHECK" })
            case .ldap, .origin: healthy = running && reachable(planned)
            }
            nodes.append(Node(name: planned.name, kind: planned.kind, pool: planned.pool, address: planned.address,
                              ports: Dictionary(planned.listeners.map { ($0.name, $0.port) }, uniquingKeysWith: { a, _ in a }),
                              pid: running ? process?.pid : nil, running: running, restarts: process?.restarts ?? 0,
                              lastExit: process?.lastExit, healthy: healthy))
        }
        return ApplianceStatus(name: plan.name, hosts: plan.hosts, stateDirectory: plan.stateDirectory,
                               supervisor: Supervisor(pid: state?.supervisorPid, running: supervisorRunning),
                               admin: directorNode.endpoint("admin") ?? directorNode.address, healthy: supervisorRunning && nodes.allSatisfy(\.healthy),
                               services: services, nodes: nodes, clientNamespace: NetnsTopology(plan: plan)?.client,
                               webmail: plan.webmailURL, adminSites: plan.adminSiteURLs.isEmpty ? nil : plan.adminSiteURLs)
    }

    /// The table `shoal status` prints.
    public var text: String {
        var lines = ["\(name) on \(hosts.rawValue): \(healthy ? "healthy" : "NOT healthy"), supervisor \(supervisor.running ? "pid \(supervisor.pid.map(String.init) ?? "?")" : "not running"), admin http://\(admin)/"]
        if let clientNamespace { lines.append("clients: ip netns exec \(clientNamespace) ...") }
        if let webmail { lines.append("webmail: \(webmail) (TLS ends at the director; cookie SHOALSRV keeps a browser on one node)") }
        if let adminSites { lines.append("admin site (admins only, on the cluster network): \(adminSites.joined(separator: " "))") }
        lines.append("")
        lines.append("virtual services:")
        for service in services {
            let servers = service.servers.map { "\($0.node ?? $0.endpoint) \($0.state)\($0.activeConnections > 0 ? " (\($0.activeConnections) active)" : "")" }
            lines.append("  \(service.name.padding(toLength: 12, withPad: " ", startingAt: 0))\("\(service.address):\(service.port)".padding(toLength: 22, withPad: " ", startingAt: 0))\(servers.joined(separator: ", "))")
        }
        lines.append("")
        lines.append("nodes:")
        for node in nodes {
            let process = node.running ? "pid \(node.pid.map(String.init) ?? "?")" : "stopped\(node.lastExit.map { " (\($0))" } ?? "")"
            lines.append("  \(node.name.padding(toLength: 12, withPad: " ", startingAt: 0))\(node.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))\(node.address.padding(toLength: 16, withPad: " ", startingAt: 0))\(process.padding(toLength: 14, withPad: " ", startingAt: 0))\(node.healthy ? "healthy" : "unhealthy")\(node.restarts > 0 ? ", \(node.restarts) restarts" : "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
