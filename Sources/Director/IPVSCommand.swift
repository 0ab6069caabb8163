public import ShoalCore

/// One ipvsadm command, parsed from an argument list or a line of a `-S` rules file.
public enum IPVSCommand: Hashable, Sendable {
    /// `-A`: add a virtual service.
    case addService(VirtualServiceConfig)
    /// `-E`: edit a virtual service (unspecified options take ipvsadm's defaults, as ipvsadm sends them).
    case editService(VirtualServiceConfig)
    /// `-D`: delete a virtual service.
    case deleteService(VirtualServiceKey)
    /// `-C`: clear the whole table.
    case flush
    /// `-Z`: zero the counters of one service, or of all.
    case zero(VirtualServiceKey?)
    /// `-a`: add a real server to a service.
    case addServer(VirtualServiceKey, RealServerConfig)
    /// `-e`: edit a real server (unspecified options take ipvsadm's defaults: `-g`, `-w 1`, no thresholds).
    case editServer(VirtualServiceKey, RealServerConfig)
    /// `-d`: delete a real server.
    case deleteServer(VirtualServiceKey, Endpoint)
    /// `--set tcp tcpfin udp`: connection timeouts in seconds; 0 leaves a value unchanged.
    case setTimeouts(tcp: Int, tcpFin: Int, udp: Int)
    /// `-L`/`-l`: list the table, one service, the connections, the timeouts or the daemons.
    case list(ListOptions)
    /// `-S`: print the table as rules.
    case save(numeric: Bool)
    /// `-R`: read rules from standard input.
    case restore
    /// `--start-daemon` / `--stop-daemon`: connection synchronisation (the kernel dataplane runs it; the core does not).
    case syncDaemon(start: Bool, state: String, settings: SyncDaemonSettings = SyncDaemonSettings())

    /// True for commands that change the table.
    public var isMutation: Bool {
        switch self {
        case .addService, .editService, .deleteService, .flush, .zero, .addServer, .editServer, .deleteServer, .setTimeouts:
            return true
        case .list, .save, .restore, .syncDaemon:
            return false
        }
    }
}

/// The listing options of `-L`.
public struct ListOptions: Hashable, Sendable {
    public var numeric = false
    public var connections = false
    public var service: VirtualServiceKey?
    public var stats = false
    public var rate = false
    public var thresholds = false
    public var persistentConnections = false
    public var noSort = false
    public var exact = false
    public var timeout = false
    public var daemon = false
    public var tunnelInfo = false

    public init() {}
}

/// The settings of a connection synchronisation daemon (`--mcast-interface`, `--syncid`, `--sync-maxlen`,
/// `--mcast-group`, `--mcast-port`, `--mcast-ttl`); zero or nil leaves the kernel's default.
public struct SyncDaemonSettings: Hashable, Sendable {
    public var interface = ""
    public var syncID: UInt32 = 0
    public var maxLength: UInt16 = 0
    public var group: IPAddress?
    public var port: UInt16 = 0
    public var ttl: UInt8 = 0

    public init(interface: String = "", syncID: UInt32 = 0, maxLength: UInt16 = 0, group: IPAddress? = nil, port: UInt16 = 0, ttl: UInt8 = 0) {
        self.interface = interface
        self.syncID = syncID
        self.maxLength = maxLength
        self.group = group
        self.port = port
        self.ttl = ttl
    }
}
