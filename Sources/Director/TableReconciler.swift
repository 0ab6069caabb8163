import ShoalCore

/// A service as a configuration wants it: its settings and its real servers with their weights.
public struct DesiredService: Hashable, Sendable {
    public var config: VirtualServiceConfig
    public var servers: [RealServerConfig]

    public init(config: VirtualServiceConfig, servers: [RealServerConfig]) {
        self.config = config
        self.servers = servers
    }
}

extension DirectorTable {
    /// The ipvsadm commands that turn this table's services and servers into `desired`, touching only
    /// what differs: unchanged services and servers keep their connections, counters and scheduler state.
    ///
    /// Order: deletions of services first, then per desired service its add or edit, server deletions,
    /// server edits, and server additions (in the desired order).
    public func commands(toReach desired: [DesiredService]) -> [IPVSCommand] {
        var commands: [IPVSCommand] = []
        let wanted = Set(desired.map(\.config.key))
        for service in services where !wanted.contains(service.key) {
            commands.append(.deleteService(service.key))
        }
        for target in desired {
            guard let current = service(target.config.key) else {
                commands.append(.addService(target.config))
                commands += target.servers.map { .addServer(target.config.key, $0) }
                continue
            }
            if current.config != target.config { commands.append(.editService(target.config)) }
            let byEndpoint = Dictionary(target.servers.map { ($0.endpoint, $0) }, uniquingKeysWith: { a, _ in a })
            for server in current.servers where byEndpoint[server.endpoint] == nil {
                commands.append(.deleteServer(target.config.key, server.endpoint))
            }
            for server in target.servers {
                if let existing = current.servers.first(where: { $0.endpoint == server.endpoint }) {
                    if existing.config != server { commands.append(.editServer(target.config.key, server)) }
                } else {
                    commands.append(.addServer(target.config.key, server))
                }
            }
        }
        return commands
    }

    /// Every service as desired-state input: what `commands(toReach:)` would leave unchanged.
    public var desiredServices: [DesiredService] {
        services.map { service in DesiredService(config: service.config, servers: service.servers.reversed().map(\.config)) }
    }
}
