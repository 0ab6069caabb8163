public import ShoalCore

/// The director's `failover:` block: the VRRP instances this director runs.
public struct FailoverConfiguration: Hashable, Sendable {
    public var instances: [VRRPInstanceConfiguration]
    /// Connection/persistence state sync (the IPVS sync protocol v1), when configured.
    public var sync: ConnectionSyncConfiguration?

    public init(instances: [VRRPInstanceConfiguration], sync: ConnectionSyncConfiguration? = nil) {
        self.instances = instances
        self.sync = sync
    }
}

/// One VRRP instance (keepalived's `vrrp_instance`): who it is, where it speaks, what it holds and tracks.
public struct VRRPInstanceConfiguration: Hashable, Sendable {
    public var name: String
    public var interface: String
    public var virtualRouterID: UInt8
    public var priority: UInt8
    /// Advertisement interval in centiseconds (configured in seconds, 0.01 s steps, 0.01...40.95 s).
    public var advertisementInterval: UInt16
    public var preempt: Bool
    /// preempt_delay in centiseconds.
    public var preemptDelay: UInt32
    /// The virtual addresses (all IPv4 or all IPv6: VRRPv3 runs one family per instance).
    public var virtualAddresses: [VirtualAddress]
    /// Unicast peers: adverts go to each instead of the multicast group, and only theirs are accepted.
    public var unicastPeers: [IPAddress]
    /// The address adverts come from; default: the interface's first IPv4 / link-local IPv6 address.
    public var sourceAddress: IPAddress?
    public var trackInterfaces: [TrackedInterface]
    public var trackScripts: [TrackedScript]
    public var notify: NotifyCommands
    /// Gratuitous ARPs / NAs sent per address on takeover, and again after `announceRefresh` seconds (keepalived's
    /// garp_master_repeat 5 and garp_master_delay 5).
    public var announceRepeat: Int
    public var announceRefresh: Double
    /// RFC 5798's Accept_Mode (keepalived's `accept` / `no_accept`): off, a master that is not the address owner
    /// (priority 255) drops packets addressed to the virtual addresses. On by default, as in keepalived (the RFC's
    /// default is off): a director serves its VIPs.
    public var acceptMode: Bool

    public init(name: String, interface: String, virtualRouterID: UInt8, priority: UInt8, advertisementInterval: UInt16,
                preempt: Bool = true, preemptDelay: UInt32 = 0, virtualAddresses: [VirtualAddress], unicastPeers: [IPAddress] = [],
                sourceAddress: IPAddress? = nil, trackInterfaces: [TrackedInterface] = [], trackScripts: [TrackedScript] = [],
                notify: NotifyCommands = NotifyCommands(), announceRepeat: Int = 5, announceRefresh: Double = 5,
                acceptMode: Bool = true) {
        self.name = name
        self.interface = interface
        self.virtualRouterID = virtualRouterID
        self.priority = priority
        self.advertisementInterval = advertisementInterval
        self.preempt = preempt
        self.preemptDelay = preemptDelay
        self.virtualAddresses = virtualAddresses
        self.unicastPeers = unicastPeers
        self.sourceAddress = sourceAddress
        self.trackInterfaces = trackInterfaces
        self.trackScripts = trackScripts
        self.notify = notify
        self.announceRepeat = announceRepeat
        self.announceRefresh = announceRefresh
        self.acceptMode = acceptMode
    }

    /// Whether this instance, as master, filters packets to its virtual addresses (Accept_Mode off, not the owner).
    public var filtersVirtualAddresses: Bool { !acceptMode && priority != 255 }

    /// The address family of the instance (that of its virtual addresses).
    public var family: AddressFamily { virtualAddresses.first?.address.family ?? .inet }
}

/// A tracked interface: down means FAULT without a weight; with one (keepalived's rule) a negative weight is
/// added to the priority while it is down, a positive one while it is up.
public struct TrackedInterface: Hashable, Sendable {
    public var name: String
    public var weight: Int?

    public init(name: String, weight: Int? = nil) {
        self.name = name
        self.weight = weight
    }
}

/// A tracked script run every `interval` seconds: failure means FAULT without a weight; with one, a negative
/// weight is added while it fails, a positive one while it succeeds. `fall`/`rise` results in a row change its state.
public struct TrackedScript: Hashable, Sendable {
    public var command: String
    public var interval: Double
    public var timeout: Double
    public var weight: Int?
    public var rise: Int
    public var fall: Int

    public init(command: String, interval: Double = 1, timeout: Double = 5, weight: Int? = nil, rise: Int = 1, fall: Int = 1) {
        self.command = command
        self.interval = interval
        self.timeout = timeout
        self.weight = weight
        self.rise = rise
        self.fall = fall
    }
}

/// Commands run (`/bin/sh -c`) on a transition; `any` gets keepalived's arguments `INSTANCE name STATE priority`.
public struct NotifyCommands: Hashable, Sendable {
    public var master: String?
    public var backup: String?
    public var fault: String?
    public var any: String?

    public init(master: String? = nil, backup: String? = nil, fault: String? = nil, any: String? = nil) {
        self.master = master
        self.backup = backup
        self.fault = fault
        self.any = any
    }
}
