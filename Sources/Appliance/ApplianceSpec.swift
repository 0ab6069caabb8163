public import ShoalCore

/// A turnkey cluster as its spec file (`Appliances/*.yaml`) describes it: the director's virtual services,
/// pools of real servers by role, and the shared tier. Every field but the pools has a default.
public struct ApplianceSpec: Sendable, Hashable {
    public var name: String
    /// The spec file (errors and `plan` name it).
    public var file: String
    /// The mail domain users get addresses in, and the LDAP base (`dc=shoal,dc=test`).
    public var domain = "shoal.test"
    /// Where nodes get their addresses: the director .1, the directory .2, the origin .3, pools from .10 on.
    public var network = ApplianceNetwork(base: 0x7F00_2A00)
    public var directory = SharedDirectory()
    /// The shared Maildir root (nil: under the state directory).
    public var storeRoot: String?
    /// The shared document root of web pools and of the origin (nil: under the state directory, with an index page).
    public var docroot: String?
    public var origin = CacheOrigin.node
    public var pools: [PoolSpec] = []
    public var director = ApplianceDirector()

    public init(name: String, file: String) {
        self.name = name
        self.file = file
    }

    /// The pool with this name.
    public func pool(_ name: String) -> PoolSpec? { pools.first { $0.name == name } }

    /// Whether any pool has this role.
    public func has(_ role: NodeRole) -> Bool { pools.contains { $0.role == role } }
}

/// A /24 of IPv4 addresses the nodes are numbered in.
public struct ApplianceNetwork: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The network address (last octet 0).
    public var base: UInt32

    public init(base: UInt32) { self.base = base & 0xFFFF_FF00 }

    /// The address of host number `host` (1...254).
    public func address(_ host: Int) -> IPAddress { .v4(base | UInt32(host & 0xFF)) }

    /// Whether every address is on the loopback interface (127.0.0.0/8).
    public var isLoopback: Bool { base >> 24 == 127 }

    /// Where the netns host puts it: a loopback 127.A.B.0/24 becomes 10.A.B.0/24 (each cluster's namespaces are a
    /// segment of their own, so no other host sees it); any other network stays.
    public var namespaced: ApplianceNetwork { isLoopback ? ApplianceNetwork(base: 0x0A00_0000 | (base & 0x00FF_FF00)) : self }

    public var description: String { "\(IPAddress.v4(base))/24" }
}

/// A pool of identical real servers.
public struct PoolSpec: Sendable, Hashable {
    public var name: String
    public var role: NodeRole
    public var replicas: Int

    public init(name: String, role: NodeRole, replicas: Int) {
        self.name = name
        self.role = role
        self.replicas = replicas
    }

    /// Most nodes a pool may have (its block of addresses in the /24).
    public static let maximumReplicas = 39
    /// Most pools a spec may have.
    public static let maximumPools = 6
}

/// The directory tier: a real slapd seeded with the users, or the embedded SQLite directory.
public struct SharedDirectory: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable { case ldap, sqlite }
    public var kind: Kind = .sqlite
    public var users: [ApplianceUser] = []

    public init() {}
}

/// A mail user seeded into the directory.
public struct ApplianceUser: Sendable, Hashable, Codable {
    public var login: String
    public var password: String
    /// The primary address first; default `LOGIN@domain`.
    public var addresses: [String]
    /// The user may use the admin site and API (`webmail.admins` of the mail nodes); nil is no.
    public var admin: Bool?

    public init(login: String, password: String, addresses: [String], admin: Bool? = nil) {
        self.login = login
        self.password = password
        self.addresses = addresses
        self.admin = admin
    }
}

/// Where cache nodes fetch what they do not hold.
public enum CacheOrigin: Sendable, Hashable {
    /// A web node of the shared tier serving the document root.
    case node
    /// An origin server that runs elsewhere.
    case external(Endpoint)
}

/// The director: its admin API, its checks' pace and its virtual services.
public struct ApplianceDirector: Sendable, Hashable {
    public var adminPort = ApplianceDefaultPort.admin
    /// Seconds between health checks of a node.
    public var checkInterval = 1.0
    /// The virtual services; empty in the spec means every protocol of every pool.
    public var services: [VirtualServiceSpec] = []

    public init() {}
}

/// One virtual service: a protocol on a port of the director's address, scheduled over one pool.
public struct VirtualServiceSpec: Sendable, Hashable {
    public var name: String
    public var proto: ServiceProtocol
    /// The virtual service's port (0: chosen free by `up`).
    public var port: Int
    public var pool: String
    public var scheduler: String
    /// Persistence timeout in seconds, nil for none.
    public var persistence: Int?

    public init(name: String, proto: ServiceProtocol, port: Int, pool: String, scheduler: String = "rr", persistence: Int? = nil) {
        self.name = name
        self.proto = proto
        self.port = port
        self.pool = pool
        self.scheduler = scheduler
        self.persistence = persistence
    }
}
