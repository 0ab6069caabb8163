import ShoalCore

// MARK: - The command entry (ipvsadm's `struct ipvs_command_entry` plus options and format)

extension IPVSRuleParser {
    struct CommandEntry {
        var command: Command?
        var commandDisplay = ""
        var sawOption = false
        /// The OPTC_* bits set so far, and the switch that set each (for messages).
        var options: UInt64 = 0
        var optionDisplay: [Int: String] = [:]
        var positional: [String] = []

        // ce.svc
        var family: AddressFamily?
        var transport: TransportProtocol = .ip
        var address: IPAddress?
        var port: UInt16 = 0
        var fwmark: UInt32 = 0
        var schedulerName = ""
        var persistent = false
        var persistentTimeout = 0
        /// IPv4: the mask in host order; IPv6: the prefix length (ce.svc.netmask, default /32 mask).
        var netmask: UInt32 = PersistenceNetmask.defaultValue(for: .inet)
        var onePacket = false
        var persistenceEngine = ""
        var schedulerFlagsArgument = ""
        var schedulerFlags: SchedulerFlags = []

        // ce.dest
        var destFamily: AddressFamily?
        var destAddress: IPAddress?
        var destPort: UInt16 = 0
        var forwarding: ForwardingMethod = .route
        var weight = 1
        var uThreshold = 0
        var lThreshold = 0
        var tunnelKind: TunnelInfo.Kind = .ipip
        var tunnelPort: UInt16 = 0
        var tunnelChecksum = false
        var tunnelRemoteChecksum = false

        // ce.timeout, ce.daemon
        var timeouts = (tcp: 0, tcpFin: 0, udp: 0)
        var daemonState = ""
        var daemonSettings = SyncDaemonSettings()

        func has(_ opt: Int) -> Bool { options & (1 << UInt64(opt)) != 0 }

        /// set_option: each option at most once.
        mutating func setOption(_ opt: Int, _ display: String) throws(ConfigError) {
            if has(opt) { throw ConfigError(field: display, "multiple '\(Opt.names[opt])' options specified") }
            options |= 1 << UInt64(opt)
            optionDisplay[opt] = display
        }

        func field(_ opt: Int) -> String? { optionDisplay[opt] }

        // MARK: Reading the arguments (popt + the switches of parse_options)

        mutating func readOptions(_ arguments: [String]) throws(ConfigError) {
            var next = 0
            var restAreArguments = false

            func takeArgument(_ spec: OptionSpec, attached: String?) throws(ConfigError) -> String? {
                if let attached { return attached }
                switch spec.argument {
                case .none:
                    return nil
                case .required:
                    guard next < arguments.count else {
                        throw ConfigError(field: spec.display, "missing argument")
                    }
                    next += 1
                    return arguments[next - 1]
                case .optional:
                    guard next < arguments.count, !arguments[next].hasPrefix("-") else { return nil }
                    next += 1
                    return arguments[next - 1]
                }
            }

            while next < arguments.count {
                let word = arguments[next]
                next += 1
                if restAreArguments || !word.hasPrefix("-") || word == "-" {
                    positional.append(word)
                    continue
                }
                if word == "--" {
                    restAreArguments = true
                    continue
                }
                if word.hasPrefix("--") {
                    let body = word.dropFirst(2)
                    let name: Substring
                    var attached: String?
                    if let equals = body.firstIndex(of: "=") {
                        name = body[..<equals]
                        attached = String(body[body.index(after: equals)...])
                    } else {
                        name = body
                    }
                    guard let spec = IPVSRuleParser.option(long: name) else {
                        throw ConfigError(field: "--\(name)", "invalid option `--\(name)'")
                    }
                    try checkCommandFirst(spec)
                    if spec.argument == .none, attached != nil {
                        throw ConfigError(field: spec.display, "option does not take an argument")
                    }
                    let argument = try takeArgument(spec, attached: attached)
                    try apply(spec, argument)
                } else {
                    let cluster = Array(word.dropFirst())
                    var position = 0
                    while position < cluster.count {
                        let char = cluster[position]
                        position += 1
                        guard let spec = IPVSRuleParser.option(short: char) else {
                            throw ConfigError(field: "-\(char)", "invalid option `-\(char)'")
                        }
                        try checkCommandFirst(spec)
                        var attached: String?
                        if spec.argument != .none, position < cluster.count {
                            var rest = String(cluster[position...])
                            if rest.hasPrefix("=") { rest.removeFirst() }
                            attached = rest
                            position = cluster.count
                        }
                        let argument = try takeArgument(spec, attached: attached)
                        try apply(spec, argument)
                    }
                }
            }
        }

        /// parse_options takes the first option as the command and prints its try-help line otherwise.
        mutating func checkCommandFirst(_ spec: OptionSpec) throws(ConfigError) {
            guard !sawOption else { return }
            sawOption = true
            switch spec.tag {
            case .command:
                return
            case .help:
                throw ConfigError(field: spec.display, "--help is not a rule command")
            case .version:
                throw ConfigError(field: spec.display, "--version is not a rule command")
            default:
                throw ConfigError(field: spec.display, "no command specified before `\(spec.display)'")
            }
        }

        mutating func apply(_ spec: OptionSpec, _ argument: String?) throws(ConfigError) {
            let display = spec.display
            let arg = argument ?? ""
            switch spec.tag {
            case let .command(command):
                if self.command != nil { throw ConfigError(field: display, "multiple commands specified") }
                self.command = command
                commandDisplay = display
                if command == .startDaemon {
                    guard arg == "master" || arg == "backup" else {
                        throw ConfigError(field: display, "illegal start-daemon parameter specified")
                    }
                    daemonState = arg
                } else if command == .stopDaemon {
                    guard arg == "master" || arg == "backup" else {
                        throw ConfigError(field: display, "illegal start_daemon specified")
                    }
                    daemonState = arg
                }
            case .help, .version:
                // Known to popt but not handled after the command: the default branch.
                throw ConfigError(field: display, "invalid option `\(display)'")
            case .tcp, .udp, .sctp:
                try setOption(Opt.service, display)
                transport = spec.tag == .tcp ? .tcp : spec.tag == .udp ? .udp : .sctp
                guard let parsed = IPVSRuleParser.parseService(arg) else {
                    throw ConfigError(field: display, "illegal virtual server address[:port] specified")
                }
                family = parsed.address.family
                address = parsed.address
                if parsed.address.family == .inet6 { netmask = PersistenceNetmask.defaultValue(for: .inet6) }
                if let p = parsed.port { port = p }
            case .fwmark:
                try setOption(Opt.service, display)
                family = .inet
                transport = .tcp
                guard let mark = IPVSRuleParser.parseFwmark(arg) else {
                    throw ConfigError(field: display, "invalid fwmark value `\(arg)' specified")
                }
                fwmark = mark
            case .scheduler:
                try setOption(Opt.scheduler, display)
                schedulerName = arg
            case .persistent:
                try setOption(Opt.persistent, display)
                persistent = true
                persistentTimeout = try IPVSRuleParser.parseTimeout(argument, 1, IPVSRuleParser.maxTimeout, field: display)
            case .netmask:
                try setOption(Opt.netmask, display)
                if family != .inet6 {
                    guard let mask = IPVSRuleParser.inetAton(arg) else {
                        throw ConfigError(field: display, "illegal virtual server persistent mask specified")
                    }
                    netmask = mask
                } else {
                    let prefix = IPVSRuleParser.atoi(arg)
                    guard (1...128).contains(prefix) else {
                        throw ConfigError(field: display, "illegal ipv6 netmask specified")
                    }
                    netmask = UInt32(prefix)
                }
            case .realServer:
                try setOption(Opt.server, display)
                guard let parsed = IPVSRuleParser.parseService(arg) else {
                    throw ConfigError(field: display, "illegal real server address[:port] specified")
                }
                destFamily = parsed.address.family
                destAddress = parsed.address
                // copy vport to dport if not specified
                destPort = parsed.port ?? port
            case .ipip:
                try setOption(Opt.forward, display)
                forwarding = .tunnel
            case .gatewaying:
                try setOption(Opt.forward, display)
                forwarding = .route
            case .masquerading:
                try setOption(Opt.forward, display)
                forwarding = .masquerade
            case .weight:
                try setOption(Opt.weight, display)
                // ipvsadm 1.31 takes weights up to INT_MAX, as the kernel does (checked against Debian's ipvsadm).
                guard let value = IPVSRuleParser.stringToNumber(arg, 0, Int(Int32.max)) else {
                    throw ConfigError(field: display, "illegal weight specified")
                }
                weight = value
            case .uThreshold:
                try setOption(Opt.uThreshold, display)
                guard let value = IPVSRuleParser.stringToNumber(arg, 0, Int(Int32.max)) else {
                    throw ConfigError(field: display, "illegal u_threshold specified")
                }
                uThreshold = value
            case .lThreshold:
                try setOption(Opt.lThreshold, display)
                guard let value = IPVSRuleParser.stringToNumber(arg, 0, Int(Int32.max)) else {
                    throw ConfigError(field: display, "illegal l_threshold specified")
                }
                lThreshold = value
            case .connection: try setOption(Opt.connection, display)
            case .numeric: try setOption(Opt.numeric, display)
            case .mcastInterface:
                try setOption(Opt.mcast, display)
                daemonSettings.interface = arg
            case .syncID:
                try setOption(Opt.syncID, display)
                guard let id = IPVSRuleParser.stringToNumber(arg, 0, 255) else {
                    throw ConfigError(field: display, "illegal syncid specified")
                }
                daemonSettings.syncID = UInt32(id)
            case .timeout: try setOption(Opt.timeout, display)
            case .daemon: try setOption(Opt.daemon, display)
            case .stats: try setOption(Opt.stats, display)
            case .rate: try setOption(Opt.rate, display)
            case .thresholds: try setOption(Opt.thresholds, display)
            case .persistentConn: try setOption(Opt.persistentConn, display)
            case .noSort: try setOption(Opt.noSort, display)
            case .sort: break // sorting is the default; a no-op kept for compatibility
            case .exact: try setOption(Opt.exact, display)
            case .ipv6:
                guard fwmark != 0 else { throw ConfigError(field: display, "-6 used before -f") }
                family = .inet6
                netmask = 128
            case .ops:
                try setOption(Opt.onePacket, display)
                onePacket = true
            case .persistenceEngine:
                try setOption(Opt.persistenceEngine, display)
                persistenceEngine = arg
            case .schedFlags:
                try setOption(Opt.schedFlags, display)
                schedulerFlagsArgument = arg
            case .mcastGroup:
                try setOption(Opt.mcastGroup, display)
                if arg.contains(":") {
                    guard let group = IPVSRuleParser.inetPton6(arg), case let .v6(hi, _) = group, hi >> 56 == 0xff else {
                        throw ConfigError(field: display, "invalid IPv6 mcast-group `\(arg)'")
                    }
                    daemonSettings.group = group
                } else {
                    guard let group = IPVSRuleParser.inetPton4(arg), group & 0xf000_0000 == 0xe000_0000 else {
                        throw ConfigError(field: display, "invalid IPv4 mcast-group `\(arg)'")
                    }
                    daemonSettings.group = .v4(group)
                }
            case .mcastPort:
                try setOption(Opt.mcastPort, display)
                guard let port = IPVSRuleParser.stringToNumber(arg, 1, 65535) else {
                    throw ConfigError(field: display, "illegal mcast-port specified")
                }
                daemonSettings.port = UInt16(port)
            case .mcastTTL:
                try setOption(Opt.mcastTTL, display)
                guard let ttl = IPVSRuleParser.stringToNumber(arg, 1, 255) else {
                    throw ConfigError(field: display, "illegal mcast-ttl specified")
                }
                daemonSettings.ttl = UInt8(ttl)
            case .syncMaxlen:
                try setOption(Opt.syncMaxlen, display)
                guard let maxLength = IPVSRuleParser.stringToNumber(arg, 1, 65535 - 20 - 8) else {
                    throw ConfigError(field: display, "illegal sync-maxlen specified")
                }
                daemonSettings.maxLength = UInt16(maxLength)
            case .tunInfo: try setOption(Opt.tunInfo, display)
            case .tunType:
                try setOption(Opt.tunType, display)
                guard let kind = TunnelInfo.Kind(rawValue: arg) else {
                    throw ConfigError(field: display, "illegal tunnel type specified")
                }
                tunnelKind = kind
            case .tunPort:
                try setOption(Opt.tunPort, display)
                guard let value = IPVSRuleParser.stringToNumber(arg, 1, 65535) else {
                    throw ConfigError(field: display, "illegal tunnel port specified")
                }
                tunnelPort = UInt16(value)
            case .tunNoCsum: try setOption(Opt.tunNoCsum, display)
            case .tunCsum:
                try setOption(Opt.tunCsum, display)
                tunnelChecksum = true
            case .tunRemCsum:
                try setOption(Opt.tunRemCsum, display)
                tunnelRemoteChecksum = true
            }
        }

        // MARK: After the options (end of parse_options, then process_options)

        mutating func finish() throws(ConfigError) -> IPVSCommand {
            guard let command else { throw ConfigError("no command specified") }

            var used = 0
            if command == .timeout {
                guard positional.count >= 3 else {
                    throw ConfigError(field: commandDisplay, "--set option requires 3 timeout values")
                }
                let tcp = try IPVSRuleParser.parseTimeout(positional[0], 0, IPVSRuleParser.maxTimeout, field: commandDisplay)
                let tcpFin = try IPVSRuleParser.parseTimeout(positional[1], 0, IPVSRuleParser.maxTimeout, field: commandDisplay)
                let udp = try IPVSRuleParser.parseTimeout(positional[2], 0, IPVSRuleParser.maxTimeout, field: commandDisplay)
                timeouts = (tcp, tcpFin, udp)
                used = 3
            }
            if positional.count > used {
                throw ConfigError("unexpected argument \(positional[used])")
            }

            if !schedulerFlagsArgument.isEmpty {
                schedulerFlags = try IPVSRuleParser.parseSchedulerFlags(
                    scheduler: schedulerName.isEmpty ? SchedulerName.wlc.rawValue : schedulerName,
                    schedulerFlagsArgument, field: field(Opt.schedFlags))
            }

            try genericOptionCheck(command)

            if command == .add || command == .edit {
                if fwmark == 0 && port == 0 && !persistent {
                    throw ConfigError(field: field(Opt.service), "Zero port specified for non-persistent service")
                }
                if onePacket && fwmark == 0 && transport != .udp {
                    throw ConfigError(field: field(Opt.onePacket), "One-Packet Scheduling is only for UDP virtual services")
                }
                if schedulerName.isEmpty { schedulerName = SchedulerName.wlc.rawValue }
            }

            if command == .addDest || command == .editDest {
                // The destination port equals the service port for tunnelling and direct routing (not fwmark).
                if fwmark == 0 && (forwarding == .tunnel || forwarding == .route) {
                    destPort = port
                }
                if destFamily != family && forwarding != .tunnel {
                    throw ConfigError(field: field(Opt.server), "Different address family is allowed only for tunneling servers")
                }
                let tunnelOptionBits = [Opt.tunType, Opt.tunPort, Opt.tunNoCsum, Opt.tunCsum, Opt.tunRemCsum]
                if let present = tunnelOptionBits.first(where: { has($0) }), forwarding != .tunnel {
                    throw ConfigError(field: field(present), "Tunnel options conflict with forward method")
                }
                try tunnelOptionCheck()
            }

            if command == .list {
                let connectionLike = has(Opt.connection) || has(Opt.timeout) || has(Opt.daemon)
                let formatLike = has(Opt.stats) || has(Opt.rate) || has(Opt.thresholds)
                if (connectionLike && formatLike)
                    || ((has(Opt.timeout) || has(Opt.daemon)) && has(Opt.persistentConn)) {
                    throw ConfigError(field: commandDisplay, "options conflicts in the list command")
                }
            }

            return try makeCommand(command)
        }

        /// generic_opt_check: the commands_v_options table.
        func genericOptionCheck(_ command: Command) throws(ConfigError) {
            let row = IPVSRuleParser.commandsVOptions[command.rawValue]
            var last = 0
            var count = 0
            for j in 0..<Opt.count {
                let rule = row[j]
                if !has(j) {
                    if rule == UInt8(ascii: "+") {
                        throw ConfigError(field: commandDisplay,
                                          "You need to supply the '\(Opt.names[j])' option for the '\(command.name)' command")
                    }
                } else {
                    if rule == UInt8(ascii: "x") {
                        throw ConfigError(field: field(j), "Illegal '\(Opt.names[j])' option with the '\(command.name)' command")
                    }
                    if rule == UInt8(ascii: "1") {
                        count += 1
                        if count == 1 {
                            last = j
                            continue
                        }
                        throw ConfigError(field: field(j),
                                          "The option '\(Opt.names[j])' conflicts with the '\(Opt.names[last])' option in the '\(command.name)' command")
                    }
                }
            }
        }

        /// tunnel_opt_check: the tunnel_types_v_options table.
        func tunnelOptionCheck() throws(ConfigError) {
            let row = IPVSRuleParser.tunnelTypesVOptions[tunnelKind]!
            let typeName = tunnelKind.rawValue
            var last = 0
            var count = 0
            for (j, k) in IPVSRuleParser.tunnelOptions.enumerated() {
                let rule = row[j]
                if !has(k) {
                    if rule == UInt8(ascii: "+") {
                        throw ConfigError(field: "--\(Opt.names[k])",
                                          "You need to supply the '\(Opt.names[k])' option for the '\(typeName)' tunnel type")
                    }
                } else {
                    if rule == UInt8(ascii: "x") {
                        throw ConfigError(field: field(k), "Illegal '\(Opt.names[k])' option with the '\(typeName)' tunnel type")
                    }
                    if rule == UInt8(ascii: "1") {
                        count += 1
                        if count == 1 {
                            last = k
                            continue
                        }
                        throw ConfigError(field: field(k),
                                          "The option '\(Opt.names[k])' conflicts with the '\(Opt.names[last])' option in the '\(typeName)' tunnel type")
                    }
                }
            }
        }

        /// The service named by -t/-u/--sctp-service/-f (and -6), when one was given.
        var serviceKey: VirtualServiceKey? {
            guard has(Opt.service) else { return nil }
            if fwmark != 0 { return .fwmark(fwmark, family ?? .inet) }
            guard let address else { return nil }
            return .address(transport, Endpoint(address, port))
        }

        func makeCommand(_ command: Command) throws(ConfigError) -> IPVSCommand {
            switch command {
            case .add, .edit:
                guard let key = serviceKey else { throw ConfigError(field: commandDisplay, "no service specified") }
                guard let scheduler = SchedulerName(rawValue: schedulerName) else {
                    throw ConfigError(field: field(Opt.scheduler) ?? "-s", "Scheduler not found: \(schedulerName)")
                }
                if !persistenceEngine.isEmpty && persistenceEngine != "sip" {
                    throw ConfigError(field: field(Opt.persistenceEngine), "Scheduler or persistence engine not found")
                }
                var config = VirtualServiceConfig(
                    key: key, scheduler: scheduler,
                    persistence: persistent ? Persistence(timeout: persistentTimeout, netmask: netmask) : nil,
                    onePacket: onePacket, schedulerFlags: schedulerFlags,
                    persistenceEngine: persistenceEngine.isEmpty ? nil : persistenceEngine)
                config.netmask = netmask
                // -M was read in ipvsadm's syntax (inet_aton / atoi); the value rule is the one YAML and JSON apply.
                // Checked here, on the final value, because a later IPv6 service or -6 resets an earlier -M.
                if (try? PersistenceNetmask.validate(netmask, family: key.family)) == nil {
                    throw ConfigError(field: field(Opt.netmask) ?? "-M", key.family == .inet
                        ? "illegal virtual server persistent mask specified (not a contiguous netmask)"
                        : "illegal ipv6 netmask specified")
                }
                return command == .add ? .addService(config) : .editService(config)
            case .del:
                guard let key = serviceKey else { throw ConfigError(field: commandDisplay, "no service specified") }
                return .deleteService(key)
            case .flush:
                return .flush
            case .zero:
                return .zero(serviceKey)
            case .addDest, .editDest, .delDest:
                guard let key = serviceKey, let destAddress else {
                    throw ConfigError(field: commandDisplay, "no service or real server specified")
                }
                let endpoint = Endpoint(destAddress, destPort)
                if command == .delDest { return .deleteServer(key, endpoint) }
                let checksum: TunnelInfo.Checksum = tunnelChecksum ? .checksum : tunnelRemoteChecksum ? .remote : .none
                let server = RealServerConfig(
                    endpoint: endpoint, forwarding: forwarding, weight: weight,
                    upperThreshold: uThreshold, lowerThreshold: lThreshold,
                    tunnel: TunnelInfo(kind: tunnelKind, port: tunnelPort, checksum: checksum))
                return command == .addDest ? .addServer(key, server) : .editServer(key, server)
            case .timeout:
                return .setTimeouts(tcp: timeouts.tcp, tcpFin: timeouts.tcpFin, udp: timeouts.udp)
            case .list:
                var list = ListOptions()
                list.numeric = has(Opt.numeric)
                list.connections = has(Opt.connection)
                list.service = serviceKey
                list.stats = has(Opt.stats)
                list.rate = has(Opt.rate)
                list.thresholds = has(Opt.thresholds)
                list.persistentConnections = has(Opt.persistentConn)
                list.noSort = has(Opt.noSort)
                list.exact = has(Opt.exact)
                list.timeout = has(Opt.timeout)
                list.daemon = has(Opt.daemon)
                list.tunnelInfo = has(Opt.tunInfo)
                return .list(list)
            case .save:
                return .save(numeric: has(Opt.numeric))
            case .restore:
                return .restore
            case .startDaemon, .stopDaemon:
                return .syncDaemon(start: command == .startDaemon, state: daemonState, settings: daemonSettings)
            }
        }
    }
}
