import Director
import Failover
import DirectorProxy
import Foundation
import HealthCheck
public import ShoalCore

extension DirectorConfiguration {
    /// Reads a YAML director configuration; errors name the file, line and field.
    public static func load(path: String) throws(ConfigError) -> DirectorConfiguration {
        try parse(ConfigDocument.load(path: path))
    }

    /// Builds a configuration from a parsed YAML document.
    public static func parse(_ root: ConfigNode) throws(ConfigError) -> DirectorConfiguration {
        try root.allowOnly(["director", "services", "failover"])
        var configuration = DirectorConfiguration()
        var defaults = ProxySettings()
        if let director = try root.optional("director") {
            try director.allowOnly(["admin", "timeouts", "connect_timeout", "idle_timeout", "drain_timeout", "max_attempts"])
            if let admin = try director.optional("admin") { configuration.admin = try parseAdmin(admin) }
            if let timeouts = try director.optional("timeouts") {
                try timeouts.allowOnly(["tcp", "tcpfin", "udp"])
                let tcp = try timeouts.optional("tcp")?.int(in: 1...31_536_000) ?? 0
                let fin = try timeouts.optional("tcpfin")?.int(in: 1...31_536_000) ?? 0
                let udp = try timeouts.optional("udp")?.int(in: 1...31_536_000) ?? 0
                configuration.timeouts.set(tcp: tcp, tcpFin: fin, udp: udp)
            }
            try applyProxyFields(director, to: &defaults)
            if let drain = try director.optional("drain_timeout") { configuration.drainTimeout = try drain.seconds(in: 0...86_400) }
        }
        defaults.udpTimeout = .seconds(Int64(configuration.timeouts.udp))
        configuration.proxyDefaults = defaults
        var seen: [VirtualServiceKey: Int] = [:]
        var nextMark: UInt32 = 0x5348_0001
        for node in try root.required("services").list() {
            let service = try parseService(node, defaults: defaults, nextMark: &nextMark)
            for (config, _) in service.tableServices {
                if let line = seen[config.key] {
                    throw node.error("duplicate service \(config.key.ruleText) (first defined on line \(line))")
                }
                seen[config.key] = node.line ?? 0
            }
            configuration.services.append(service)
        }
        if let failover = try root.optional("failover") { configuration.failover = try FailoverConfiguration.parse(failover) }
        return configuration
    }

    static func parseAdmin(_ node: ConfigNode) throws(ConfigError) -> AdminSettings {
        try node.allowOnly(["listen", "token_file"])
        var settings = AdminSettings(listen: try node.required("listen").endpoint())
        if let tokenNode = try node.optional("token_file") {
            let path = try tokenNode.string()
            let token: String
            do {
                token = try SecretFile.read(path, what: "admin token file")
            } catch {
                throw tokenNode.error(error.description)
            }
            settings.token = token
        }
        return settings
    }

    static func applyProxyFields(_ node: ConfigNode, to settings: inout ProxySettings) throws(ConfigError) {
        if let v = try node.optional("connect_timeout") { settings.connectTimeout = .nanoseconds(Int64(try v.seconds(in: 0.001...3600) * 1e9)) }
        if let v = try node.optional("idle_timeout") { settings.idleTimeout = .nanoseconds(Int64(try v.seconds(in: 0.001...31_536_000) * 1e9)) }
        if let v = try node.optional("max_attempts") { settings.maxAttempts = try v.int(in: 1...64) }
    }

    static let serviceFields: Set<String> = [
        "name", "listen", "protocol", "scheduler", "persistence", "scheduler_flags", "proxy_protocol", "accept_proxy_protocol",
        "connect_timeout", "idle_timeout", "max_attempts", "check", "alpha", "inhibit_on_failure", "sorry_server",
        "quorum", "hysteresis", "quorum_up", "quorum_down", "servers", "pools", "http", "mail", "engine",
    ]

    static func parseService(_ node: ConfigNode, defaults: ProxySettings, nextMark: inout UInt32) throws(ConfigError) -> ServiceDefinition {
        try node.allowOnly(serviceFields)
        let listenNode = try node.required("listen")
        let listen = try listenNode.endpoint()
        guard listen.port != 0 else { throw listenNode.error("port 0 is out of range 1-65535") }
        let mode = ServiceMode(rawValue: try node.optional("protocol")?.choice(ServiceMode.allCases.map(\.rawValue)) ?? "tcp")!
        let key = VirtualServiceKey.address(mode == .udp ? .udp : .tcp, listen)
        var config = try parseTableService(node, key: key)
        if mode.mailProtocol != nil {
            // Users are keyed into a hash scheduler; fallback moves a drained or refusing node's users on, and
            // mh places by node address alone, so a user's sessions of every protocol meet on one node.
            if let schedulerNode = try node.optional("scheduler") {
                guard config.scheduler == .mh || config.scheduler == .sh else {
                    throw schedulerNode.error("a mail proxy service needs scheduler mh or sh (users are hashed)")
                }
            } else {
                config.scheduler = .mh
            }
            config.schedulerFlags.insert(.fallback)
            if config.scheduler == .mh { config.schedulerFlags.insert(.addressOnly) }
        }
        let check = try node.optional("check").map { (n) throws(ConfigError) in try CheckSpec.parse(n) }
        let hasPools = try node.optional("pools") != nil
        let servers = try parseServers(node.optional("servers"), in: node, required: mode != .http || !hasPools)
        let name = try node.optional("name")?.string()
        var service = ServiceDefinition(name: name, mode: mode, listen: listen, config: config, servers: servers)
        service.check = check
        service.alpha = try node.optional("alpha")?.bool() ?? false
        var health = ServiceHealthOptions()
        health.inhibitOnFailure = try node.optional("inhibit_on_failure")?.bool() ?? false
        health.sorryServer = try node.optional("sorry_server")?.endpoint()
        health.quorum = try node.optional("quorum")?.int(in: 0...Int(Int32.max)) ?? 1
        health.hysteresis = try node.optional("hysteresis")?.int(in: 0...Int(Int32.max)) ?? 0
        health.quorumUp = try node.optional("quorum_up")?.string()
        health.quorumDown = try node.optional("quorum_down")?.string()
        service.health = health

        var proxy = defaults
        try applyProxyFields(node, to: &proxy)
        if let v = try node.optional("proxy_protocol") {
            proxy.sendProxyProtocol = ProxyProtocolVersion(rawValue: try v.choice(ProxyProtocolVersion.allCases.map(\.rawValue)))
        }
        proxy.acceptProxyProtocol = try node.optional("accept_proxy_protocol")?.bool() ?? false
        if let engineNode = try node.optional("engine") {
            proxy.engine = ProxyEngine(rawValue: try engineNode.choice(ProxyEngine.allCases.map(\.rawValue)))!
            if proxy.engine == .epoll {
                guard mode == .tcp || mode.mailProtocol != nil else {
                    throw engineNode.error("engine epoll forwards plain TCP and plaintext mail only (protocol: tcp, imap, pop3, submission)")
                }
                guard !proxy.acceptProxyProtocol else {
                    throw engineNode.error("engine epoll does not read PROXY headers (accept_proxy_protocol); use engine nio")
                }
            }
        }
        service.proxy = proxy

        let mailNode = try node.optional("mail")
        if let mailProtocol = mode.mailProtocol {
            if proxy.engine == .epoll { try refuseTLSOnEpoll(mailNode) }
            service.mail = try parseMail(mailNode, proto: mailProtocol, proxy: proxy)
        } else if let mailNode {
            throw mailNode.error("mail settings need protocol: imap, pop3 or submission")
        }

        let poolsNode = try node.optional("pools")
        let httpNode = try node.optional("http")
        guard mode == .http || (poolsNode == nil && httpNode == nil) else {
            throw (poolsNode ?? httpNode)!.error("pools and http rules need protocol: http")
        }
        if mode == .http {
            var keys: [String: VirtualServiceKey] = [:]
            for (name, poolNode) in try poolsNode?.entries() ?? [] {
                try poolNode.allowOnly(["scheduler", "persistence", "scheduler_flags", "servers", "fwmark"])
                let mark = try poolNode.optional("fwmark").map { (n) throws(ConfigError) in UInt32(try n.int(in: 1...Int(UInt32.max))) } ?? nextMark
                nextMark = max(nextMark, mark) &+ 1
                let poolKey = VirtualServiceKey.fwmark(mark, listen.address.family)
                let pool = PoolDefinition(name: name, config: try parseTableService(poolNode, key: poolKey),
                                          servers: try parseServers(poolNode.optional("servers"), in: poolNode, required: true))
                service.pools.append(pool)
                keys[name] = poolKey
            }
            if let httpNode {
                service.http = try HTTPServiceConfig.parse(httpNode, pools: keys)
            } else {
                service.http = HTTPServiceConfig(pools: keys)
            }
            if service.servers.isEmpty && service.http?.defaultPool == nil {
                throw node.error("an http service needs servers of its own or an http.default_pool")
            }
        }
        return service
    }

    static func parseTableService(_ node: ConfigNode, key: VirtualServiceKey) throws(ConfigError) -> VirtualServiceConfig {
        let schedulerNode = try node.optional("scheduler")
        let scheduler = try SchedulerName(rawValue: schedulerNode?.choice(SchedulerName.allCases.map(\.rawValue)) ?? "wlc")!
        var persistence: Persistence?
        if let p = try node.optional("persistence") {
            try p.allowOnly(["timeout", "netmask"])
            let timeout = try p.optional("timeout")?.int(in: 1...Int(Int32.max)) ?? Persistence.defaultTimeout
            var netmask = PersistenceNetmask.defaultValue(for: key.family)
            if let maskNode = try p.optional("netmask") {
                let text = try maskNode.string()
                do {
                    netmask = try PersistenceNetmask.parse(text, family: key.family)
                } catch {
                    throw maskNode.error(error.description)
                }
            }
            persistence = Persistence(timeout: timeout, netmask: netmask)
        }
        var flags: SchedulerFlags = []
        for item in try node.optional("scheduler_flags")?.list() ?? [] {
            let name = try item.string()
            do {
                flags.insert(try SchedulerFlags.named(name, scheduler: scheduler.rawValue))
            } catch {
                throw item.error("\(error) (expected one of: \(SchedulerFlags.acceptedNames.joined(separator: ", ")); sh-/mh- names need their scheduler)")
            }
        }
        return VirtualServiceConfig(key: key, scheduler: scheduler, persistence: persistence, schedulerFlags: flags)
    }

    static func parseServers(_ node: ConfigNode?, in parent: ConfigNode, required: Bool) throws(ConfigError) -> [ServerDefinition] {
        guard let node else {
            if required { throw parent.error("required field 'servers' is missing") }
            return []
        }
        var servers: [ServerDefinition] = []
        var seen: Set<Endpoint> = []
        for item in try node.list() {
            try item.allowOnly(["address", "weight", "upper_threshold", "lower_threshold", "check"])
            let addressNode = try item.required("address")
            let endpoint = try addressNode.endpoint()
            guard endpoint.port != 0 else { throw addressNode.error("a real server needs a port 1-65535") }
            guard seen.insert(endpoint).inserted else { throw addressNode.error("duplicate server \(endpoint)") }
            let config = RealServerConfig(
                endpoint: endpoint, forwarding: .masquerade,
                weight: try item.optional("weight")?.int(in: 0...65535) ?? 1,
                upperThreshold: try item.optional("upper_threshold")?.int(in: 0...Int(Int32.max)) ?? 0,
                lowerThreshold: try item.optional("lower_threshold")?.int(in: 0...Int(Int32.max)) ?? 0)
            do {
                try config.validate()
            } catch {
                throw item.error(error.message)
            }
            let check = try item.optional("check").map { (n) throws(ConfigError) in try CheckSpec.parse(n) }
            servers.append(ServerDefinition(config: config, check: check))
        }
        return servers
    }
}
