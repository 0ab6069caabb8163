extension IPVSCommand: CustomStringConvertible {
    /// The command as ipvsadm arguments (for logs): `-e -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3`.
    public var description: String {
        switch self {
        case let .addService(c): return "-A " + Self.serviceText(c)
        case let .editService(c): return "-E " + Self.serviceText(c)
        case let .deleteService(key): return "-D \(key.ruleText)"
        case .flush: return "-C"
        case let .zero(key): return key.map { "-Z \($0.ruleText)" } ?? "-Z"
        case let .addServer(key, s): return "-a \(key.ruleText) " + Self.serverText(s)
        case let .editServer(key, s): return "-e \(key.ruleText) " + Self.serverText(s)
        case let .deleteServer(key, endpoint): return "-d \(key.ruleText) -r \(endpoint)"
        case let .setTimeouts(tcp, tcpFin, udp): return "--set \(tcp) \(tcpFin) \(udp)"
        case .list: return "-L"
        case let .save(numeric): return numeric ? "-S -n" : "-S"
        case .restore: return "-R"
        case let .syncDaemon(start, state, _): return (start ? "--start-daemon " : "--stop-daemon ") + state
        }
    }

    static func serviceText(_ c: VirtualServiceConfig) -> String {
        var text = "\(c.key.ruleText) -s \(c.scheduler.rawValue)"
        if let p = c.persistence { text += " -p \(p.timeout)" }
        return text
    }

    static func serverText(_ s: RealServerConfig) -> String {
        var text = "-r \(s.endpoint) \(s.forwarding.ruleSwitch) -w \(s.weight)"
        if s.upperThreshold != 0 { text += " -x \(s.upperThreshold)" }
        if s.lowerThreshold != 0 { text += " -y \(s.lowerThreshold)" }
        return text
    }
}
