/// Where an appliance's nodes run.
public enum HostKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each node a supervised child process on its own 127.x address (no root).
    case loopback
    /// Each node in a network namespace of its own on a bridge (root).
    case netns
    /// Each node in a container built from `Images/` (root, podman with runc).
    case podman
}

/// What a planned node is.
public enum NodeKind: String, Sendable, Hashable, Codable {
    case director, ldap, origin, mail, web, cache
}

/// One listening port of a planned node.
public struct PlannedListener: Sendable, Hashable, Codable {
    public var name: String
    public var port: Int

    public init(name: String, port: Int) {
        self.name = name
        self.port = port
    }
}

/// A node as planned: its name, kind, pool, address and ports.
public struct PlannedNode: Sendable, Hashable, Codable {
    public var name: String
    public var kind: NodeKind
    public var pool: String?
    public var address: String
    public var listeners: [PlannedListener]

    public init(name: String, kind: NodeKind, pool: String?, address: String, listeners: [PlannedListener]) {
        self.name = name
        self.kind = kind
        self.pool = pool
        self.address = address
        self.listeners = listeners
    }

    /// The port of the listener named `name`.
    public func port(_ name: String) -> Int? { listeners.first { $0.name == name }?.port }

    /// `address:port` of the listener named `name`.
    public func endpoint(_ name: String) -> String? { port(name).map { "\(address):\($0)" } }
}

/// A virtual service as planned: the VIP and the pool behind it.
public struct PlannedService: Sendable, Hashable, Codable {
    public var name: String
    public var proto: ServiceProtocol
    public var address: String
    public var port: Int
    public var pool: String
    public var scheduler: String
    public var persistence: Int?
    /// The port the pool's nodes listen on for it.
    public var nodePort: Int

    public var endpoint: String { "\(address):\(port)" }
}

/// What runs where: every node with its address and ports, and the director's virtual services. Pure: a
/// function of the spec, the host kind and the pools' replica counts.
public struct AppliancePlan: Sendable, Hashable, Codable {
    public var name: String
    public var specFile: String
    public var hosts: HostKind
    public var network: String
    public var domain: String
    public var directoryKind: SharedDirectory.Kind
    /// The state directory (configs, logs, pids, and the shared tier unless the spec puts it elsewhere).
    public var stateDirectory: String
    /// The shared Maildir root.
    public var storeRoot: String
    /// The shared document root.
    public var docroot: String
    /// The cache nodes' origin, `address:port`.
    public var origin: String?
    public var nodes: [PlannedNode]
    public var services: [PlannedService]
    /// The netns and podman hosts: every namespace of the cluster starts with this (nil on the loopback host).
    public var namespacePrefix: String? = nil
    /// The podman host: every container of the cluster starts with this.
    public var containerPrefix: String? = nil
    /// The podman host: the node image.
    public var image: String? = nil
    /// Logins allowed on the mail nodes' admin site (the spec's users with `admin: true`).
    public var admins: [String] = []

    /// The first host number of pool number `index` (its nodes are the next `maximumReplicas` addresses).
    public static func poolBase(_ index: Int) -> Int { 10 + 40 * index }

    /// Plans `spec` on `hosts`; `replicas` overrides pools' replica counts (`shoal scale`).
    /// On the netns and podman hosts a loopback network is moved to 10.0.0.0/8 (`ApplianceNetwork.namespaced`), and the
    /// cluster's namespaces are named `namespacePrefix` + the appliance's name + `-` + the node's name.
    public static func make(_ spec: ApplianceSpec, hosts: HostKind, stateDirectory: String,
                            replicas: [String: Int] = [:], namespacePrefix: String = "shoal-") throws(AppliancePlanError) -> AppliancePlan {
        if hosts == .loopback, !spec.network.isLoopback {
            throw AppliancePlanError("\(spec.file): network: \(spec.network) is not in 127.0.0.0/8, which the loopback host needs")
        }
        var spec = spec
        if hosts != .loopback { spec.network = spec.network.namespaced }
        for (pool, count) in replicas {
            guard spec.pool(pool) != nil else {
                throw AppliancePlanError("no pool named '\(pool)' (pools: \(spec.pools.map(\.name).joined(separator: ", ")))")
            }
            guard (0...PoolSpec.maximumReplicas).contains(count) else {
                throw AppliancePlanError("pool '\(pool)': \(count) replicas is out of range 0-\(PoolSpec.maximumReplicas)")
            }
        }
        let director = spec.network.address(1).description
        var nodes: [PlannedNode] = []
        if spec.has(.mail), spec.directory.kind == .ldap {
            nodes.append(PlannedNode(name: "directory", kind: .ldap, pool: nil, address: spec.network.address(2).description,
                                     listeners: [PlannedListener(name: "ldap", port: ApplianceDefaultPort.ldap)]))
        }
        if spec.has(.cache), spec.origin == .node {
            nodes.append(PlannedNode(name: "origin", kind: .origin, pool: nil, address: spec.network.address(3).description,
                                     listeners: [PlannedListener(name: "http", port: ApplianceDefaultPort.origin)]))
        }
        let webmailPools = Set(spec.director.services.filter { $0.proto == .webmail }.map(\.pool))
        for (index, pool) in spec.pools.enumerated() {
            let count = replicas[pool.name] ?? pool.replicas
            for number in stride(from: 1, through: count, by: 1) {
                let address = spec.network.address(poolBase(index) + number).description
                nodes.append(PlannedNode(name: "\(pool.name)-\(number)", kind: NodeKind(rawValue: pool.role.rawValue)!, pool: pool.name,
                                         address: address, listeners: nodeListeners(pool.role, webmail: webmailPools.contains(pool.name))))
            }
        }
        var services: [PlannedService] = []
        var directorListeners = [PlannedListener(name: "admin", port: spec.director.adminPort)]
        for service in spec.director.services {
            services.append(PlannedService(name: service.name, proto: service.proto, address: director, port: service.port, pool: service.pool,
                                           scheduler: service.scheduler, persistence: service.persistence, nodePort: service.proto.defaultPort))
            directorListeners.append(PlannedListener(name: service.name, port: service.port))
        }
        nodes.append(PlannedNode(name: "director", kind: .director, pool: nil, address: director, listeners: directorListeners))
        let layout = ApplianceLayout(root: stateDirectory)
        var origin: String?
        if spec.has(.cache) {
            switch spec.origin {
            case .node: origin = "\(spec.network.address(3)):\(ApplianceDefaultPort.origin)"
            case let .external(endpoint): origin = endpoint.description
            }
        }
        return AppliancePlan(name: spec.name, specFile: spec.file, hosts: hosts, network: spec.network.description, domain: spec.domain,
                             directoryKind: spec.directory.kind, stateDirectory: stateDirectory,
                             storeRoot: spec.storeRoot ?? layout.defaultStoreRoot, docroot: spec.docroot ?? layout.defaultDocroot,
                             origin: origin, nodes: nodes, services: services,
                             namespacePrefix: hosts == .loopback ? nil : namespacePrefix + spec.name + "-",
                             admins: spec.directory.users.filter { $0.admin == true }.map(\.login))
    }

    /// What a node of `role` listens on; mail nodes add webmail (HTTPS) when a webmail service uses their pool.
    static func nodeListeners(_ role: NodeRole, webmail: Bool = false) -> [PlannedListener] {
        switch role {
        case .mail:
            return [PlannedListener(name: "smtp", port: ServiceProtocol.smtp.defaultPort),
                    PlannedListener(name: "lmtp", port: ApplianceDefaultPort.lmtp),
                    PlannedListener(name: "submission", port: ServiceProtocol.submission.defaultPort),
                    PlannedListener(name: "imap", port: ServiceProtocol.imap.defaultPort),
                    PlannedListener(name: "pop3", port: ServiceProtocol.pop3.defaultPort)]
                + (webmail ? [PlannedListener(name: "webmail", port: ServiceProtocol.webmail.defaultPort)] : [])
        case .web:
            return [PlannedListener(name: "http", port: ServiceProtocol.http.defaultPort)]
        case .cache:
            return [PlannedListener(name: "http", port: ServiceProtocol.cache.defaultPort),
                    PlannedListener(name: "icp", port: ApplianceDefaultPort.icp)]
        }
    }

    /// The same plan without the webmail VIP, the nodes' webmail listeners and the admin site (for renderers that
    /// cannot ship the certificate and cookie key `up` makes).
    public func withoutWebmail() -> AppliancePlan {
        var plan = self
        let names = Set(services.filter { $0.proto == .webmail }.map(\.name))
        plan.services.removeAll { $0.proto == .webmail }
        for index in plan.nodes.indices {
            let director = plan.nodes[index].kind == .director
            plan.nodes[index].listeners.removeAll {
                $0.name == ServiceProtocol.webmail.rawValue || (director && names.contains($0.name))
            }
        }
        plan.admins = []
        return plan
    }

    /// The node named `name`.
    public func node(_ name: String) -> PlannedNode? { nodes.first { $0.name == name } }

    /// The director node.
    public var director: PlannedNode { nodes.first { $0.kind == .director }! }

    /// The nodes of pool `pool`, in order.
    public func members(of pool: String) -> [PlannedNode] { nodes.filter { $0.pool == pool } }

    /// The same plan with every port 0 (VIPs, the admin API) replaced by `choose(address)`.
    public func resolvingFreePorts(_ choose: (String) throws -> Int) rethrows -> AppliancePlan {
        var plan = self
        for index in plan.services.indices where plan.services[index].port == 0 {
            plan.services[index].port = try choose(plan.services[index].address)
        }
        for n in plan.nodes.indices {
            for l in plan.nodes[n].listeners.indices where plan.nodes[n].listeners[l].port == 0 {
                if let service = plan.services.first(where: { $0.name == plan.nodes[n].listeners[l].name }), plan.nodes[n].kind == .director {
                    plan.nodes[n].listeners[l].port = service.port
                } else {
                    plan.nodes[n].listeners[l].port = try choose(plan.nodes[n].address)
                }
            }
        }
        return plan
    }

    /// The same plan with the pools' nodes of `other` (another replica count), keeping everything else.
    public func replacingPools(with other: AppliancePlan) -> AppliancePlan {
        var plan = self
        let shared = nodes.filter { $0.pool == nil }
        plan.nodes = shared.filter { $0.kind != .director } + other.nodes.filter { $0.pool != nil } + shared.filter { $0.kind == .director }
        return plan
    }
}

/// A spec that cannot be planned as asked (the message says why).
public struct AppliancePlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
