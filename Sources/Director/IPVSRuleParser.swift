public import ShoalCore

/// Parses ipvsadm 1.31 arguments into an `IPVSCommand`, reproducing ipvsadm's popt option handling,
/// `parse_options`, `process_options`, its `commands_v_options` table and its error texts.
///
/// What it reproduces:
/// - popt option forms: `-A`, clustered flags `-Lnc`, attached short arguments `-w5` / `-w=5`, long options
///   with a separate or `=` argument (`--weight 3`, `--weight=3`), `--` ending the options, lone `-` as an
///   argument, and `-p`'s optional argument (taken only when the next word does not start with `-`).
/// - The command must be the first option (ipvsadm otherwise prints its try-help line).
/// - Options are processed in order with ipvsadm's state, so order-dependent quirks match: `-M` is read as an
///   IPv4 netmask unless the service seen so far is IPv6; an IPv6 service (`-t [::1]:80`) or `-6` resets the
///   netmask to 128; `-r ADDR` without a port takes the service port known at that point.
/// - After the options: `--set`'s three values, "unexpected argument", `-b` flags (checked against the final
///   scheduler, default wlc), `generic_opt_check`, the add/edit-service checks, the real-server checks
///   (port forcing for -g/-i, address family, tunnel options, `tunnel_opt_check`) and the list conflicts.
/// - The kernel's answers that a pure parser can give: an unknown scheduler ("Scheduler not found: NAME")
///   and an unknown persistence engine (only `sip` exists).
///
/// What it does not reproduce (no I/O in this layer): host names and service names (`www:http`) are not
/// resolved, so only numeric addresses (inet_aton forms for IPv4, inet_pton for IPv6) and numeric ports are
/// accepted; `-h`/`-v` and an empty argument list are errors rather than help text or a listing.
public enum IPVSRuleParser {
    /// Parses ipvsadm arguments (without the program name) into a command.
    public static func parse(_ arguments: [String]) throws(ConfigError) -> IPVSCommand {
        var entry = CommandEntry()
        try entry.readOptions(arguments)
        return try entry.finish()
    }

    /// Parses a whole `-S`/`-R` rules text: one command per line; returns (lineNumber, command) pairs.
    /// Any bad line throws a ConfigError whose `line` is that 1-based line number (and `file` = the given name).
    /// Lines are split by `RuleTokenizer`; `-R` and commands that do not change the table are refused.
    public static func parseRules(_ text: String, file: String? = nil) throws(ConfigError) -> [(line: Int, command: IPVSCommand)] {
        var result: [(line: Int, command: IPVSCommand)] = []
        for (line, tokens) in RuleTokenizer.lines(text) {
            let command: IPVSCommand
            do throws(ConfigError) {
                command = try parse(tokens)
            } catch {
                throw error.located(file: file, line: line)
            }
            if !command.isMutation {
                let name = commandSwitch(command)
                let message = command == .restore
                    ? "-R is not allowed inside a rules file"
                    : "\(name) is not allowed inside a rules file (only commands that change the table are)"
                throw ConfigError(file: file, line: line, field: name, message)
            }
            result.append((line, command))
        }
        return result
    }

    /// The canonical switch of a command, for messages.
    static func commandSwitch(_ command: IPVSCommand) -> String {
        switch command {
        case .addService: return "-A"
        case .editService: return "-E"
        case .deleteService: return "-D"
        case .flush: return "-C"
        case .zero: return "-Z"
        case .addServer: return "-a"
        case .editServer: return "-e"
        case .deleteServer: return "-d"
        case .setTimeouts: return "--set"
        case .list: return "-L"
        case .save: return "-S"
        case .restore: return "-R"
        case let .syncDaemon(start, _): return start ? "--start-daemon" : "--stop-daemon"
        }
    }
}

// MARK: - Constants and tables from ipvsadm.c

extension IPVSRuleParser {
    /// MAX_TIMEOUT: 31 days.
    static let maxTimeout = 86400 * 31
    /// IPVS_SVC_PERSISTENT_TIMEOUT.
    static let persistentTimeout = 360

    /// CMD_ADD ... CMD_ZERO, numbered from 0 as the rows of `commands_v_options`.
    enum Command: Int, CaseIterable {
        case add = 0, edit, del, flush, list, addDest, delDest, editDest, timeout, startDaemon, stopDaemon,
             restore, save, zero

        /// `cmdnames[]`.
        var name: String {
            ["add-service", "edit-service", "delete-service", "flush", "list", "add-server", "delete-server",
             "edit-server", "set", "start-daemon", "stop-daemon", "restore", "save", "zero"][rawValue]
        }
    }

    /// OPTC_* bit numbers.
    enum Opt {
        static let numeric = 0, connection = 1, service = 2, scheduler = 3, persistent = 4, netmask = 5
        static let server = 6, forward = 7, weight = 8, uThreshold = 9, lThreshold = 10, mcast = 11
        static let timeout = 12, daemon = 13, stats = 14, rate = 15, thresholds = 16, persistentConn = 17
        static let noSort = 18, syncID = 19, exact = 20, onePacket = 21, persistenceEngine = 22
        static let schedFlags = 23, mcastGroup = 24, mcastPort = 25, mcastTTL = 26, syncMaxlen = 27
        static let tunInfo = 28, tunType = 29, tunPort = 30, tunNoCsum = 31, tunCsum = 32, tunRemCsum = 33
        static let count = 34

        /// `optnames[]`.
        static let names = [
            "numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
            "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface", "timeout", "daemon",
            "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
            "sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
            "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
        ]
    }

    /// `commands_v_options`: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional; one row per command,
    /// one column per OPTC_* option.
    static let commandsVOptions: [[UInt8]] = [
        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx", // ADD
        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx", // EDIT
        "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // DEL
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // FLUSH
        " 11xxxxxxxxx11       xxxxxxx xxxxx", // LIST
        "xx+xxx+    xxxxxxxxxxxxxxxxxx     ", // ADDSRV
        "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx", // DELSRV
        "xx+xxx+    xxxxxxxxxxxxxxxxxx     ", // EDITSRV
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // TIMEOUT
        "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx", // STARTD
        "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx", // STOPD
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // RESTORE
        " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // SAVE
        "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // ZERO
    ].map { Array($0.utf8) }

    /// `tunopts[]`: the options `tunnel_types_v_options` has columns for.
    static let tunnelOptions = [Opt.tunPort, Opt.tunNoCsum, Opt.tunCsum, Opt.tunRemCsum]

    /// `tunnel_types_v_options`, one row per tunnel type (ipip, gue, gre).
    static let tunnelTypesVOptions: [TunnelInfo.Kind: [UInt8]] = [
        .ipip: Array("xxxx".utf8),
        .gue: Array("+111".utf8),
        .gre: Array("x11x".utf8),
    ]
}

// MARK: - The popt options table

extension IPVSRuleParser {
    enum ArgumentKind { case none, required, optional }

    /// The `val` of each popt option: what `parse_options` switches on.
    enum Tag: Equatable {
        case command(Command)
        case help, version
        case tcp, udp, sctp, fwmark, scheduler, persistent, netmask, realServer
        case masquerading, ipip, gatewaying, weight, uThreshold, lThreshold
        case numeric, connection, mcastInterface, syncID, timeout, daemon, stats, rate, thresholds
        case persistentConn, noSort, sort, exact, ipv6, ops, persistenceEngine, schedFlags
        case mcastGroup, mcastPort, mcastTTL, syncMaxlen
        case tunInfo, tunType, tunPort, tunNoCsum, tunCsum, tunRemCsum
    }

    struct OptionSpec {
        let long: String
        let short: Character?
        let argument: ArgumentKind
        let tag: Tag

        /// How messages name the option: its short form when it has one, else its long form.
        var display: String {
            if let short { return "-\(short)" }
            return "--\(long)"
        }
    }

    /// The `options_table` of `parse_options`, in its order (`--list` is found as `-L` first).
    static let optionTable: [OptionSpec] = [
        OptionSpec(long: "add-service", short: "A", argument: .none, tag: .command(.add)),
        OptionSpec(long: "edit-service", short: "E", argument: .none, tag: .command(.edit)),
        OptionSpec(long: "delete-service", short: "D", argument: .none, tag: .command(.del)),
        OptionSpec(long: "clear", short: "C", argument: .none, tag: .command(.flush)),
        OptionSpec(long: "list", short: "L", argument: .none, tag: .command(.list)),
        OptionSpec(long: "list", short: "l", argument: .none, tag: .command(.list)),
        OptionSpec(long: "zero", short: "Z", argument: .none, tag: .command(.zero)),
        OptionSpec(long: "add-server", short: "a", argument: .none, tag: .command(.addDest)),
        OptionSpec(long: "edit-server", short: "e", argument: .none, tag: .command(.editDest)),
        OptionSpec(long: "delete-server", short: "d", argument: .none, tag: .command(.delDest)),
        OptionSpec(long: "set", short: nil, argument: .none, tag: .command(.timeout)),
        OptionSpec(long: "help", short: "h", argument: .none, tag: .help),
        OptionSpec(long: "version", short: "v", argument: .none, tag: .version),
        OptionSpec(long: "restore", short: "R", argument: .none, tag: .command(.restore)),
        OptionSpec(long: "save", short: "S", argument: .none, tag: .command(.save)),
        OptionSpec(long: "start-daemon", short: nil, argument: .required, tag: .command(.startDaemon)),
        OptionSpec(long: "stop-daemon", short: nil, argument: .required, tag: .command(.stopDaemon)),
        OptionSpec(long: "tcp-service", short: "t", argument: .required, tag: .tcp),
        OptionSpec(long: "udp-service", short: "u", argument: .required, tag: .udp),
        OptionSpec(long: "sctp-service", short: nil, argument: .required, tag: .sctp),
        OptionSpec(long: "fwmark-service", short: "f", argument: .required, tag: .fwmark),
        OptionSpec(long: "scheduler", short: "s", argument: .required, tag: .scheduler),
        OptionSpec(long: "persistent", short: "p", argument: .optional, tag: .persistent),
        OptionSpec(long: "netmask", short: "M", argument: .required, tag: .netmask),
        OptionSpec(long: "real-server", short: "r", argument: .required, tag: .realServer),
        OptionSpec(long: "masquerading", short: "m", argument: .none, tag: .masquerading),
        OptionSpec(long: "ipip", short: "i", argument: .none, tag: .ipip),
        OptionSpec(long: "gatewaying", short: "g", argument: .none, tag: .gatewaying),
        OptionSpec(long: "weight", short: "w", argument: .required, tag: .weight),
        OptionSpec(long: "u-threshold", short: "x", argument: .required, tag: .uThreshold),
        OptionSpec(long: "l-threshold", short: "y", argument: .required, tag: .lThreshold),
        OptionSpec(long: "numeric", short: "n", argument: .none, tag: .numeric),
        OptionSpec(long: "connection", short: "c", argument: .none, tag: .connection),
        OptionSpec(long: "mcast-interface", short: nil, argument: .required, tag: .mcastInterface),
        OptionSpec(long: "syncid", short: nil, argument: .required, tag: .syncID),
        OptionSpec(long: "timeout", short: nil, argument: .none, tag: .timeout),
        OptionSpec(long: "daemon", short: nil, argument: .none, tag: .daemon),
        OptionSpec(long: "stats", short: nil, argument: .none, tag: .stats),
        OptionSpec(long: "rate", short: nil, argument: .none, tag: .rate),
        OptionSpec(long: "thresholds", short: nil, argument: .none, tag: .thresholds),
        OptionSpec(long: "persistent-conn", short: nil, argument: .none, tag: .persistentConn),
        OptionSpec(long: "nosort", short: nil, argument: .none, tag: .noSort),
        OptionSpec(long: "sort", short: nil, argument: .none, tag: .sort),
        OptionSpec(long: "exact", short: "X", argument: .none, tag: .exact),
        OptionSpec(long: "ipv6", short: "6", argument: .none, tag: .ipv6),
        OptionSpec(long: "ops", short: "o", argument: .none, tag: .ops),
        OptionSpec(long: "pe", short: nil, argument: .required, tag: .persistenceEngine),
        OptionSpec(long: "sched-flags", short: "b", argument: .required, tag: .schedFlags),
        OptionSpec(long: "mcast-group", short: nil, argument: .required, tag: .mcastGroup),
        OptionSpec(long: "mcast-port", short: nil, argument: .required, tag: .mcastPort),
        OptionSpec(long: "mcast-ttl", short: nil, argument: .required, tag: .mcastTTL),
        OptionSpec(long: "sync-maxlen", short: nil, argument: .required, tag: .syncMaxlen),
        OptionSpec(long: "tun-info", short: nil, argument: .none, tag: .tunInfo),
        OptionSpec(long: "tun-type", short: nil, argument: .required, tag: .tunType),
        OptionSpec(long: "tun-port", short: nil, argument: .required, tag: .tunPort),
        OptionSpec(long: "tun-nocsum", short: nil, argument: .none, tag: .tunNoCsum),
        OptionSpec(long: "tun-csum", short: nil, argument: .none, tag: .tunCsum),
        OptionSpec(long: "tun-remcsum", short: nil, argument: .none, tag: .tunRemCsum),
    ]

    static func option(long name: Substring) -> OptionSpec? {
        optionTable.first { $0.long == name }
    }

    static func option(short char: Character) -> OptionSpec? {
        optionTable.first { $0.short == char }
    }
}

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
        var netmask: UInt32 = 0xffff_ffff
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
                if parsed.address.family == .inet6 { netmask = 128 }
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
                guard let value = IPVSRuleParser.stringToNumber(arg, 0, 65535) else {
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
            case .mcastInterface: try setOption(Opt.mcast, display)
            case .syncID:
                try setOption(Opt.syncID, display)
                guard IPVSRuleParser.stringToNumber(arg, 0, 255) != nil else {
                    throw ConfigError(field: display, "illegal syncid specified")
                }
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
                } else {
                    guard let group = IPVSRuleParser.inetPton4(arg), group & 0xf000_0000 == 0xe000_0000 else {
                        throw ConfigError(field: display, "invalid IPv4 mcast-group `\(arg)'")
                    }
                }
            case .mcastPort:
                try setOption(Opt.mcastPort, display)
                guard IPVSRuleParser.stringToNumber(arg, 1, 65535) != nil else {
                    throw ConfigError(field: display, "illegal mcast-port specified")
                }
            case .mcastTTL:
                try setOption(Opt.mcastTTL, display)
                guard IPVSRuleParser.stringToNumber(arg, 1, 255) != nil else {
                    throw ConfigError(field: display, "illegal mcast-ttl specified")
                }
            case .syncMaxlen:
                try setOption(Opt.syncMaxlen, display)
                guard IPVSRuleParser.stringToNumber(arg, 1, 65535 - 20 - 8) != nil else {
                    throw ConfigError(field: display, "illegal sync-maxlen specified")
                }
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
                return .syncDaemon(start: command == .startDaemon, state: daemonState)
            }
        }
    }
}

// MARK: - Value parsers (string_to_number, parse_timeout, parse_fwmark, parse_service, inet_aton, ...)

extension IPVSRuleParser {
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// strtol(s, &end, 10) that must consume the whole string: leading blanks and a sign are allowed;
    /// nil when there are no digits, trailing characters, or the value overflows a long (ERANGE).
    static func strtol(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        let digitsStart = i
        var value = 0
        var overflow = false
        while i < bytes.count, isDigit(bytes[i]) {
            let digit = Int(bytes[i] - UInt8(ascii: "0"))
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if o1 || o2 { overflow = true } else { value = sum }
            i += 1
        }
        guard i > digitsStart, i == bytes.count, !overflow else { return nil }
        return value
    }

    /// string_to_number: a whole decimal number within min...max.
    static func stringToNumber(_ text: String, _ min: Int, _ max: Int) -> Int? {
        guard let value = strtol(text), value >= min, value <= max else { return nil }
        return value
    }

    /// parse_timeout: a missing value is the persistent default (360).
    static func parseTimeout(_ text: String?, _ min: Int, _ max: Int, field: String?) throws(ConfigError) -> Int {
        guard let text else { return persistentTimeout }
        guard let value = stringToNumber(text, min, max) else {
            throw ConfigError(field: field, "invalid timeout value `\(text)' specified")
        }
        return value
    }

    /// parse_fwmark: 1...UINT_MAX.
    static func parseFwmark(_ text: String) -> UInt32? {
        guard let value = strtol(text), value > 0, value <= Int(UInt32.max) else { return nil }
        return UInt32(value)
    }

    /// atoi: the leading decimal number (after blanks and a sign), 0 when there is none.
    static func atoi(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var value = 0
        while i < bytes.count, isDigit(bytes[i]) {
            value = min(value * 10 + Int(bytes[i] - UInt8(ascii: "0")), Int(UInt32.max) + 1)
            i += 1
        }
        return negative ? -value : value
    }

    /// glibc inet_aton: `a.b.c.d`, `a.b.c`, `a.b`, `a`, each part decimal, octal (leading 0) or hex (0x);
    /// trailing blanks end the address. The result is in host order (0xffffff00 for 255.255.255.0).
    static func inetAton(_ text: String) -> UInt32? {
        let bytes = Array(text.utf8)
        var position = 0
        func at(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
        var c = at(position)
        var parts: [UInt64] = []
        var value: UInt64 = 0
        var sawDigit = false
        while true {
            guard isDigit(c) else { return nil }
            value = 0
            var base: UInt64 = 10
            if c == UInt8(ascii: "0") {
                position += 1
                c = at(position)
                if c == UInt8(ascii: "x") || c == UInt8(ascii: "X") {
                    base = 16
                    position += 1
                    c = at(position)
                } else {
                    base = 8
                }
                sawDigit = true
            }
            while true {
                if isDigit(c) {
                    if base == 8 && (c == UInt8(ascii: "8") || c == UInt8(ascii: "9")) { return nil }
                    value = value * base + UInt64(c - UInt8(ascii: "0"))
                } else if base == 16, let hex = hexValue(c) {
                    value = value << 4 | UInt64(hex)
                } else {
                    break
                }
                guard value <= 0xffff_ffff else { return nil }
                position += 1
                c = at(position)
                sawDigit = true
            }
            if c == UInt8(ascii: ".") {
                guard parts.count <= 2, value <= 0xff else { return nil }
                parts.append(value)
                position += 1
                c = at(position)
            } else {
                break
            }
        }
        if c != 0 && !isSpace(c) { return nil }
        guard sawDigit else { return nil }
        let limits: [UInt64] = [0xffff_ffff, 0xff_ffff, 0xffff, 0xff]
        guard value <= limits[parts.count] else { return nil }
        var result = value
        for (index, part) in parts.enumerated() { result |= part << (24 - 8 * UInt64(index)) }
        return UInt32(result)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// inet_pton(AF_INET): exactly four decimal octets, no leading zeros.
    static func inetPton4(_ text: String) -> UInt32? {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDigit) else { return nil }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return nil }
            var octet: UInt32 = 0
            for digit in part { octet = octet * 10 + UInt32(digit - UInt8(ascii: "0")) }
            guard octet <= 255 else { return nil }
            result = result << 8 | octet
        }
        return result
    }

    /// inet_pton(AF_INET6): hex groups, `::` and a trailing dotted quad.
    static func inetPton6(_ text: some StringProtocol) -> IPAddress? {
        guard text.utf8.contains(UInt8(ascii: ":")),
              text.utf8.allSatisfy({ hexValue($0) != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
              let address = IPAddress(text), address.family == .inet6
        else { return nil }
        return address
    }

    /// parse_service without name lookups: `ADDR`, `ADDR:PORT`, `[IPV6]:PORT` or a bare IPv6 address.
    /// The port is nil when none was given; nil overall for ipvsadm's SERVICE_NONE.
    static func parseService(_ text: String) -> (address: IPAddress, port: UInt16?)? {
        // A bare number (or an empty string) is not a service.
        if text.utf8.allSatisfy(isDigit) { return nil }
        var buffer = Substring(text)
        var portText: Substring?
        if buffer.hasPrefix("[") {
            buffer = buffer.dropFirst()
            guard let close = buffer.firstIndex(of: "]") else { return nil }
            let after = buffer[buffer.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portText = after.dropFirst()
            buffer = buffer[..<close]
        }
        let address: IPAddress
        if let v6 = inetPton6(buffer) {
            address = v6
        } else {
            // strrchr(buf, ':') inside the (bracket-stripped) address text.
            if let colon = buffer.lastIndex(of: ":") {
                portText = buffer[buffer.index(after: colon)...]
                buffer = buffer[..<colon]
            } else {
                portText = nil
            }
            guard let v4 = inetAton(String(buffer)) else { return nil }
            address = .v4(v4)
        }
        guard let portText else { return (address, nil) }
        guard let port = stringToNumber(String(portText), 0, 65535) else { return nil }
        return (address, UInt16(port))
    }

    /// parse_sched_flags: a comma list, checked against the scheduler named so far (default wlc).
    static func parseSchedulerFlags(scheduler: String, _ text: String, field: String?) throws(ConfigError) -> SchedulerFlags {
        let names = text.split(separator: ",")
        guard !names.isEmpty else { throw ConfigError(field: field, "invalid scheduler flag `\(text)'") }
        var flags: SchedulerFlags = []
        for name in names {
            switch name {
            case "flag-1": flags.insert(.flag1)
            case "flag-2": flags.insert(.flag2)
            case "flag-3": flags.insert(.flag3)
            case "sh-fallback", "sh-port", "mh-fallback", "mh-port":
                flags.insert(name.hasSuffix("fallback") ? .fallback : .port)
                if scheduler != String(name.prefix(2)) {
                    throw ConfigError(field: field, "incompatible scheduler flag `\(name)'")
                }
            default:
                throw ConfigError(field: field, "invalid scheduler flag `\(name)'")
            }
        }
        return flags
    }
}
