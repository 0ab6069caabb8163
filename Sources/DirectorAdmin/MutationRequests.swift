import Director
import ShoalCore

/// Turns JSON request bodies into ipvsadm commands, validating every field first (a 400 names the field).
///
/// Pure: reads the current service/server from a snapshot where an edit keeps unspecified values.
enum MutationRequests {
    static let serviceKeyFields: Set<String> = ["protocol", "address", "port", "fwmark", "family"]
    static let serviceSettingFields: Set<String> = ["scheduler", "persistence", "one_packet", "scheduler_flags", "persistence_engine"]
    static let serverFields: Set<String> = ["address", "port", "weight", "forwarding", "upper_threshold", "lower_threshold"]
    static let serverEditFields: Set<String> = ["weight", "forwarding", "upper_threshold", "lower_threshold"]

    // MARK: Services

    /// `POST /api/services`: an `-A` command, followed by an `-a` for each entry of `servers`.
    static func addService(_ body: JSONValue) throws(APIError) -> [IPVSCommand] {
        let fields = try JSONFields(body, allowed: serviceKeyFields.union(serviceSettingFields).union(["servers"]))
        let key = try serviceKey(fields)
        var config = VirtualServiceConfig(key: key)
        try applySettings(fields, to: &config)
        if key.port == 0, case .address = key, config.persistence == nil {
            throw APIError(.badRequest, "port 0 is only allowed for a persistent service", field: "port")
        }
        var commands: [IPVSCommand] = [.addService(config)]
        if let servers = fields.value("servers"), servers != .null {
            guard case let .array(items) = servers else { throw APIError(.badRequest, "expected an array of servers", field: "servers") }
            for (i, item) in items.enumerated() {
                let server = try JSONFields(item, allowed: serverFields, prefix: "servers[\(i)].", what: "a server")
                commands.append(.addServer(key, try newServer(server, key: key)))
            }
        }
        return commands
    }

    /// `PATCH /api/services/{id}`: an `-E` command starting from the service's current settings.
    static func editService(_ body: JSONValue, current: VirtualService) throws(APIError) -> IPVSCommand {
        let fields = try JSONFields(body, allowed: serviceSettingFields)
        var config = current.config
        try applySettings(fields, to: &config)
        if current.key.port == 0, case .address = current.key, config.persistence == nil {
            throw APIError(.badRequest, "a port 0 service must stay persistent", field: "persistence")
        }
        return .editService(config)
    }

    static func serviceKey(_ fields: JSONFields) throws(APIError) -> VirtualServiceKey {
        if fields.has("fwmark") {
            for name in ["protocol", "address", "port"] where fields.has(name) {
                throw APIError(.badRequest, "a fwmark service has no \(name)", field: name)
            }
            guard let mark = try fields.int("fwmark", in: 1...Int(UInt32.max)) else {
                throw APIError(.badRequest, "expected an integer in 1...\(UInt32.max)", field: "fwmark")
            }
            let family: AddressFamily
            switch try fields.string("family") ?? "inet" {
            case "inet", "ipv4": family = .inet
            case "inet6", "ipv6": family = .inet6
            default: throw APIError(.badRequest, "expected inet or inet6", field: "family")
            }
            return .fwmark(UInt32(mark), family)
        }
        let protoName = try fields.string("protocol") ?? "tcp"
        guard let proto = ServicePathID.transport(named: protoName) else {
            throw APIError(.badRequest, "expected tcp, udp or sctp (or give fwmark)", field: "protocol")
        }
        guard let addressText = try fields.string("address") else { throw APIError(.badRequest, "required (or give fwmark)", field: "address") }
        guard let address = IPAddress(addressText) else { throw APIError(.badRequest, "not an IPv4 or IPv6 address", field: "address") }
        if let family = try fields.string("family"), family != (address.family == .inet6 ? "inet6" : "inet") {
            throw APIError(.badRequest, "does not match the address", field: "family")
        }
        guard let port = try fields.int("port", in: 0...65535) else { throw APIError(.badRequest, "required", field: "port") }
        return .address(proto, Endpoint(address, UInt16(port)))
    }

    static func applySettings(_ fields: JSONFields, to config: inout VirtualServiceConfig) throws(APIError) {
        let family = config.key.family
        if let name = try fields.string("scheduler") {
            guard let scheduler = SchedulerName(rawValue: name) else {
                throw APIError(.badRequest, "unknown scheduler (expected one of: \(SchedulerName.allCases.map(\.rawValue).joined(separator: ", ")))", field: "scheduler")
            }
            config.scheduler = scheduler
        }
        if fields.isNull("persistence") {
            config.persistence = nil
            config.netmask = PersistenceNetmask.defaultValue(for: family)
        } else if let value = fields.value("persistence") {
            let p: JSONFields
            if case .bool(true) = value {
                p = try JSONFields(.object([:]), allowed: [])
            } else {
                p = try JSONFields(value, allowed: ["timeout", "netmask"], prefix: "persistence.", what: "persistence")
            }
            let timeout = try p.int("timeout", in: 1...Int(Int32.max)) ?? config.persistence?.timeout ?? Persistence.defaultTimeout
            var netmask = config.persistence?.netmask ?? PersistenceNetmask.defaultValue(for: family)
            if let v = p.value("netmask"), v != .null {
                let text: String
                switch v {
                case let .string(s): text = s
                case let .number(n) where n.rounded() == n && n >= 0 && n < 1e9: text = String(Int(n))
                default: throw APIError(.badRequest, "expected a netmask", field: "persistence.netmask")
                }
                do {
                    netmask = try PersistenceNetmask.parse(text, family: family)
                } catch {
                    throw APIError(.badRequest, error.description, field: "persistence.netmask")
                }
            }
            config.persistence = Persistence(timeout: timeout, netmask: netmask)
            config.netmask = netmask
        }
        if let one = try fields.bool("one_packet") { config.onePacket = one }
        if let names = try fields.strings("scheduler_flags") {
            do {
                config.schedulerFlags = try SchedulerFlags.parse(names, scheduler: config.scheduler.rawValue)
            } catch {
                throw APIError(.badRequest, "\(error) (expected one of: \(SchedulerFlags.acceptedNames.joined(separator: ", ")); sh-/mh- names need their scheduler)",
                               field: "scheduler_flags")
            }
        }
        if fields.isNull("persistence_engine") {
            config.persistenceEngine = nil
        } else if let engine = try fields.string("persistence_engine") {
            guard engine == "sip" else { throw APIError(.badRequest, "unknown persistence engine (only sip exists)", field: "persistence_engine") }
            config.persistenceEngine = engine
        }
    }

    // MARK: Servers

    /// `POST /api/services/{id}/servers`: an `-a` command.
    static func addServer(_ body: JSONValue, service: VirtualServiceKey) throws(APIError) -> IPVSCommand {
        .addServer(service, try newServer(try JSONFields(body, allowed: serverFields), key: service))
    }

    static func newServer(_ fields: JSONFields, key: VirtualServiceKey) throws(APIError) -> RealServerConfig {
        guard let addressText = try fields.string("address") else { throw APIError(.badRequest, "required", field: fields.field("address")) }
        guard let address = IPAddress(addressText) else {
            throw APIError(.badRequest, "not an IPv4 or IPv6 address", field: fields.field("address"))
        }
        guard address.family == key.family else {
            throw APIError(.badRequest, "address family differs from the service's", field: fields.field("address"))
        }
        let port = try fields.int("port", in: 0...65535) ?? Int(key.port)
        var config = RealServerConfig(endpoint: Endpoint(address, UInt16(port)))
        try applyServerSettings(fields, to: &config)
        return config
    }

    /// `PATCH /api/services/{id}/servers/{server}`: an `-e` command; unspecified fields keep their current values.
    static func editServer(_ body: JSONValue, service: VirtualServiceKey, current: RealServer) throws(APIError) -> IPVSCommand {
        var config = current.config
        try applyServerSettings(try JSONFields(body, allowed: serverEditFields), to: &config)
        return .editServer(service, config)
    }

    /// `POST …/drain`: weight 0, everything else as it is.
    static func drain(service: VirtualServiceKey, current: RealServer) -> IPVSCommand {
        var config = current.config
        config.weight = 0
        return .editServer(service, config)
    }

    static func applyServerSettings(_ fields: JSONFields, to config: inout RealServerConfig) throws(APIError) {
        if let weight = try fields.int("weight", in: 0...65535) { config.weight = weight }
        if let name = try fields.string("forwarding") {
            guard let method = ForwardingNames.method(name) else {
                throw APIError(.badRequest, "expected masquerade, route, tunnel or local", field: fields.field("forwarding"))
            }
            config.forwarding = method
        }
        if let upper = try fields.int("upper_threshold", in: 0...Int(Int32.max)) { config.upperThreshold = upper }
        if let lower = try fields.int("lower_threshold", in: 0...Int(Int32.max)) { config.lowerThreshold = lower }
        do {
            try config.validate()
        } catch {
            let name = switch error.setting {
            case .weight: "weight"
            case .upperThreshold: "upper_threshold"
            case .lowerThreshold: "lower_threshold"
            }
            throw APIError(.badRequest, error.message, field: fields.field(name))
        }
    }
}
