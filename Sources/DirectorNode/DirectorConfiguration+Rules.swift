import Director
import Foundation
public import ShoalCore

extension DirectorConfiguration {
    /// A configuration from an ipvsadm `-S` rules file: each TCP/UDP service is proxied at its virtual
    /// address, without health checks; `--set` timeouts apply. Firewall-mark services need a packet
    /// dataplane and are refused with the line that defines them.
    public static func load(rulesPath path: String) throws(ConfigError) -> DirectorConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(file: path, "cannot read the rules file") }
        let batch = try IPVSRuleParser.parseRules(String(decoding: data, as: UTF8.self), file: path)
        var table = DirectorTable()
        try table.apply(batch: batch, file: path)
        var configuration = DirectorConfiguration()
        configuration.timeouts = table.timeouts
        for service in table.desiredServices {
            guard case let .address(proto, vip) = service.config.key, proto == .tcp || proto == .udp, vip.port != 0 else {
                let line = batch.first { entry in
                    if case let .addService(config) = entry.command { return config.key == service.config.key }
                    return false
                }?.line
                throw ConfigError(file: path, line: line, field: service.config.key.ruleText,
                                  "only TCP and UDP services with a port can be proxied (firewall marks need a packet dataplane)")
            }
            var definition = ServiceDefinition(mode: proto == .udp ? .udp : .tcp, listen: vip, config: service.config,
                                               servers: service.servers.map { ServerDefinition(config: $0) })
            definition.proxy.udpTimeout = .seconds(Int64(table.timeouts.udp))
            configuration.services.append(definition)
        }
        return configuration
    }
}
