public import Director
public import DirectorProxy
public import Failover
public import HealthCheck
public import MailDirector
public import ShoalCore

/// Everything `shoal director` runs: the admin endpoint, timeouts, and the virtual services.
public struct DirectorConfiguration: Sendable {
    /// The admin API's address and bearer token, when the admin API is on.
    public var admin: AdminSettings?
    public var timeouts = Timeouts()
    /// How long SIGTERM waits for established connections before closing them.
    public var drainTimeout: Double = 30
    /// The proxy settings of services that do not set their own (and of services added through the admin API).
    public var proxyDefaults = ProxySettings()
    public var services: [ServiceDefinition] = []
    /// The `failover:` block: VRRP instances this director runs (nil: none).
    public var failover: FailoverConfiguration?

    public init() {}
}

/// The admin API's settings.
public struct AdminSettings: Sendable, Hashable {
    public var listen: Endpoint
    public var token: String?

    public init(listen: Endpoint, token: String? = nil) {
        self.listen = listen
        self.token = token
    }
}

/// How a service's connections are handled: spliced TCP, UDP flows, or HTTP/1.1 requests switched by content.
public enum ServiceMode: String, Sendable, Hashable, CaseIterable {
    case tcp, udp, http
    /// Mail proxies: the director speaks the protocol up to login and splices each user to their node.
    case imap, pop3, submission

    /// The mail protocol of a mail proxy service.
    public var mailProtocol: MailProxyProtocol? { MailProxyProtocol(rawValue: rawValue) }
}

/// One virtual service as configured: its table settings, servers, health checks and proxy settings.
public struct ServiceDefinition: Sendable {
    public var name: String?
    public var mode: ServiceMode
    public var listen: Endpoint
    public var config: VirtualServiceConfig
    public var servers: [ServerDefinition]
    /// The check of servers that have none of their own.
    public var check: CheckSpec?
    /// Servers start down until a check proves them up.
    public var alpha = false
    public var health = ServiceHealthOptions()
    public var proxy = ProxySettings()
    /// HTTP mode: the extra pools, each a fwmark service of its own in the table.
    public var pools: [PoolDefinition] = []
    /// HTTP mode: the content-switching rules.
    public var http: HTTPServiceConfig?
    /// Mail modes: the pre-login session, TLS and timeouts (`proxy` inside is the service's proxy settings).
    public var mail: MailProxySettings?

    public init(name: String? = nil, mode: ServiceMode, listen: Endpoint, config: VirtualServiceConfig, servers: [ServerDefinition]) {
        self.name = name
        self.mode = mode
        self.listen = listen
        self.config = config
        self.servers = servers
    }

    /// The service and its pools as table services with their configured servers.
    var tableServices: [(config: VirtualServiceConfig, servers: [ServerDefinition])] {
        [(config, servers)] + pools.map { ($0.config, $0.servers) }
    }
}

/// A named pool of an HTTP service (rules send requests to it).
public struct PoolDefinition: Sendable {
    public var name: String
    public var config: VirtualServiceConfig
    public var servers: [ServerDefinition]
}

/// A real server as configured: its table settings and its own check, if any.
public struct ServerDefinition: Sendable {
    public var config: RealServerConfig
    public var check: CheckSpec?

    public init(config: RealServerConfig, check: CheckSpec? = nil) {
        self.config = config
        self.check = check
    }
}

extension DirectorConfiguration {
    /// The configured services and servers with their configured weights (no health applied yet).
    public func desiredTable() throws(ConfigError) -> DirectorTable {
        var desired = DirectorTable(timeouts: timeouts)
        var batch: [(line: Int, command: IPVSCommand)] = []
        for service in services {
            for (config, servers) in service.tableServices {
                batch.append((0, .addService(config)))
                batch += servers.map { (0, .addServer(config.key, $0.config)) }
            }
        }
        try desired.apply(batch: batch)
        return desired
    }
}
