import ShoalCore

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
