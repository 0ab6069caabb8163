import ShoalCore


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
