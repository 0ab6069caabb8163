public import Director
public import ShoalCore

/// A service as the kernel reports it in a dump: its settings and counters.
public struct IPVSServiceEntry: Hashable, Sendable {
    public var config: VirtualServiceConfig
    /// Cumulative counters (from STATS64 when the kernel sends it, else STATS).
    public var stats: TrafficStats
    /// The kernel's estimated rates.
    public var rates: TrafficRates
    /// IP_VS_SVC_F_* as reported (HASHED included).
    public var flags: UInt32
}

/// A real server as the kernel reports it: its settings, connection counts and counters.
public struct IPVSDestEntry: Hashable, Sendable {
    public var config: RealServerConfig
    public var activeConnections: Int
    public var inactiveConnections: Int
    public var persistentConnections: Int
    public var stats: TrafficStats
    public var rates: TrafficRates
}

/// IPVS_CMD_GET_INFO's answer.
public struct IPVSInfo: Hashable, Sendable {
    /// IP_VS_VERSION_CODE, 0x010201 for 1.2.1.
    public var version: UInt32
    /// The connection hash table size (`size=4096` in ipvsadm's banner).
    public var connectionTableSize: UInt32

    public init(version: UInt32, connectionTableSize: UInt32) {
        self.version = version
        self.connectionTableSize = connectionTableSize
    }

    /// `1.2.1`.
    public var versionText: String { "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)" }
}

/// Decodes the kernel's IPVS replies; every layout error is a `NetlinkParseError`, never a trap.
public enum IPVSReplyDecoder {
    typealias S = IPVSGenericNetlink.ServiceAttribute
    typealias D = IPVSGenericNetlink.DestAttribute
    typealias C = IPVSGenericNetlink.CommandAttribute

    /// A service message of a dump (IPVS_CMD_NEW_SERVICE carrying IPVS_CMD_ATTR_SERVICE).
    public static func service(_ body: GenericNetlinkBody) throws(NetlinkParseError) -> IPVSServiceEntry {
        let context = "service"
        guard let a = try body.attributes.nested(C.service.rawValue, context: context) else {
            throw NetlinkParseError(context: context, "no service attribute")
        }
        let familyValue = try a.integer(S.af.rawValue, UInt16.self, context: context, name: "address family")
        guard let family = AddressFamily(rawValue: Int(familyValue)) else {
            throw NetlinkParseError(context: context, "unknown address family \(familyValue)")
        }
        let key: VirtualServiceKey
        if let mark = try a.optionalInteger(S.fwmark.rawValue, UInt32.self, context: context, name: "fwmark"), mark != 0 {
            key = .fwmark(mark, family)
        } else {
            let protoValue = try a.integer(S.proto.rawValue, UInt16.self, context: context, name: "protocol")
            guard let proto = TransportProtocol(rawValue: Int(protoValue)) else {
                throw NetlinkParseError(context: context, "unknown protocol \(protoValue)")
            }
            guard let raw = a[S.address.rawValue] else { throw NetlinkParseError(context: context, "missing address") }
            let address = try inetAddress(raw, family: family, context: context)
            let port = try a.integer(S.port.rawValue, UInt16.self, context: context, name: "port").bigEndian
            key = .address(proto, Endpoint(address, port))
        }
        guard let schedulerText = try a.string(S.schedulerName.rawValue, context: context, name: "scheduler") else {
            throw NetlinkParseError(context: context, "missing scheduler")
        }
        guard let scheduler = SchedulerName(rawValue: schedulerText) else {
            throw NetlinkParseError(context: context, "unknown scheduler \(schedulerText)")
        }
        guard let flagBytes = a[S.flags.rawValue], flagBytes.count == 8 else {
            throw NetlinkParseError(context: context, "flags missing or not 8 bytes")
        }
        let flagValue: UInt32 = try NetlinkAttributes.integer(Array(flagBytes[0..<4]), context: context, name: "flags")
        let mask: UInt32 = try NetlinkAttributes.integer(Array(flagBytes[4..<8]), context: context, name: "flag mask")
        let flags = flagValue & mask
        let timeout = try a.integer(S.timeout.rawValue, UInt32.self, context: context, name: "timeout")
        let rawMask = try a.integer(S.netmask.rawValue, UInt32.self, context: context, name: "netmask")
        let netmask = family == .inet ? rawMask.bigEndian : rawMask
        let engine = try a.string(S.persistenceEngine.rawValue, context: context, name: "persistence engine")
        var config = VirtualServiceConfig(
            key: key, scheduler: scheduler,
            persistence: flags & IPVSGenericNetlink.ServiceFlag.persistent != 0 ? Persistence(timeout: Int(timeout), netmask: netmask) : nil,
            onePacket: flags & IPVSGenericNetlink.ServiceFlag.onePacket != 0,
            schedulerFlags: SchedulerFlags(rawValue: flags & IPVSGenericNetlink.ServiceFlag.schedulerMask),
            persistenceEngine: engine?.isEmpty == false ? engine : nil)
        config.netmask = netmask
        let (stats, rates) = try self.stats(a, stats: S.stats.rawValue, stats64: S.stats64.rawValue, context: context)
        return IPVSServiceEntry(config: config, stats: stats, rates: rates, flags: flags)
    }

    /// A real server message of a dump (IPVS_CMD_NEW_DEST carrying IPVS_CMD_ATTR_DEST); `serviceFamily`
    /// is the family assumed when the kernel sends no IPVS_DEST_ATTR_ADDR_FAMILY.
    public static func dest(_ body: GenericNetlinkBody, serviceFamily: AddressFamily) throws(NetlinkParseError) -> IPVSDestEntry {
        let context = "real server"
        guard let a = try body.attributes.nested(C.dest.rawValue, context: context) else {
            throw NetlinkParseError(context: context, "no real server attribute")
        }
        var family = serviceFamily
        if let value = try a.optionalInteger(D.addressFamily.rawValue, UInt16.self, context: context, name: "address family") {
            guard let f = AddressFamily(rawValue: Int(value)) else { throw NetlinkParseError(context: context, "unknown address family \(value)") }
            family = f
        }
        guard let raw = a[D.address.rawValue] else { throw NetlinkParseError(context: context, "missing address") }
        let address = try inetAddress(raw, family: family, context: context)
        let port = try a.integer(D.port.rawValue, UInt16.self, context: context, name: "port").bigEndian
        let method = try a.integer(D.forwardingMethod.rawValue, UInt32.self, context: context, name: "forwarding method")
        let forwarding: ForwardingMethod
        switch method & IPVSGenericNetlink.Forwarding.mask {
        case IPVSGenericNetlink.Forwarding.masquerade: forwarding = .masquerade
        case IPVSGenericNetlink.Forwarding.localNode: forwarding = .local
        case IPVSGenericNetlink.Forwarding.tunnel: forwarding = .tunnel
        case IPVSGenericNetlink.Forwarding.directRoute: forwarding = .route
        default: throw NetlinkParseError(context: context, "unknown forwarding method \(method)")
        }
        func u32(_ attribute: D, _ name: String) throws(NetlinkParseError) -> Int {
            Int(try a.integer(attribute.rawValue, UInt32.self, context: context, name: name))
        }
        var tunnel = TunnelInfo()
        if let type = try a.optionalInteger(D.tunnelType.rawValue, UInt8.self, context: context, name: "tunnel type") {
            guard let kind = [TunnelInfo.Kind.ipip, .gue, .gre].indices.contains(Int(type)) ? [TunnelInfo.Kind.ipip, .gue, .gre][Int(type)] : nil else {
                throw NetlinkParseError(context: context, "unknown tunnel type \(type)")
            }
            tunnel.kind = kind
        }
        if let port = try a.optionalInteger(D.tunnelPort.rawValue, UInt16.self, context: context, name: "tunnel port") { tunnel.port = port.bigEndian }
        if let flags = try a.optionalInteger(D.tunnelFlags.rawValue, UInt16.self, context: context, name: "tunnel flags") {
            // print_tun_flags: remote checksum wins over checksum.
            tunnel.checksum = flags & 2 != 0 ? .remote : flags & 1 != 0 ? .checksum : .none
        }
        let config = RealServerConfig(endpoint: Endpoint(address, port), forwarding: forwarding,
                                      weight: Int(Int32(bitPattern: UInt32(try u32(.weight, "weight")))),
                                      upperThreshold: try u32(.upperThreshold, "upper threshold"),
                                      lowerThreshold: try u32(.lowerThreshold, "lower threshold"), tunnel: tunnel)
        let (stats, rates) = try self.stats(a, stats: D.stats.rawValue, stats64: D.stats64.rawValue, context: context)
        return IPVSDestEntry(config: config, activeConnections: try u32(.activeConnections, "active connections"),
                             inactiveConnections: try u32(.inactiveConnections, "inactive connections"),
                             persistentConnections: try u32(.persistentConnections, "persistent connections"),
                             stats: stats, rates: rates)
    }

    /// IPVS_CMD_SET_INFO (the answer to GET_INFO).
    public static func info(_ body: GenericNetlinkBody) throws(NetlinkParseError) -> IPVSInfo {
        typealias I = IPVSGenericNetlink.InfoAttribute
        return IPVSInfo(version: try body.attributes.integer(I.version.rawValue, context: "info", name: "version"),
                        connectionTableSize: try body.attributes.integer(I.connectionTableSize.rawValue, context: "info", name: "table size"))
    }

    /// IPVS_CMD_SET_CONFIG (the answer to GET_CONFIG): the three timeouts in seconds.
    public static func timeouts(_ body: GenericNetlinkBody) throws(NetlinkParseError) -> Timeouts {
        let a = body.attributes
        func value(_ attribute: C, _ name: String) throws(NetlinkParseError) -> Int {
            Int(try a.optionalInteger(attribute.rawValue, UInt32.self, context: "timeouts", name: name) ?? 0)
        }
        return Timeouts(tcp: try value(.timeoutTCP, "tcp"), tcpFin: try value(.timeoutTCPFin, "tcpfin"), udp: try value(.timeoutUDP, "udp"))
    }

    /// A daemon message of a dump (IPVS_CMD_NEW_DAEMON carrying IPVS_CMD_ATTR_DAEMON).
    public static func daemon(_ body: GenericNetlinkBody) throws(NetlinkParseError) -> IPVSSyncDaemon {
        typealias A = IPVSGenericNetlink.DaemonAttribute
        let context = "sync daemon"
        guard let a = try body.attributes.nested(C.daemon.rawValue, context: context) else {
            throw NetlinkParseError(context: context, "no daemon attribute")
        }
        let state = try a.integer(A.state.rawValue, UInt32.self, context: context, name: "state")
        let role: IPVSSyncDaemon.Role
        switch state {
        case IPVSGenericNetlink.DaemonState.master: role = .master
        case IPVSGenericNetlink.DaemonState.backup: role = .backup
        default: throw NetlinkParseError(context: context, "unknown state \(state)")
        }
        var daemon = IPVSSyncDaemon(role: role, settings: SyncDaemonSettings())
        daemon.settings.interface = try a.string(A.multicastInterface.rawValue, context: context, name: "interface") ?? ""
        daemon.settings.syncID = try a.optionalInteger(A.syncID.rawValue, UInt32.self, context: context, name: "sync id") ?? 0
        daemon.settings.maxLength = try a.optionalInteger(A.syncMaxLength.rawValue, UInt16.self, context: context, name: "sync maxlen") ?? 0
        if let group = try a.optionalInteger(A.multicastGroup.rawValue, UInt32.self, context: context, name: "group"), group != 0 {
            daemon.settings.group = .v4(group.bigEndian)
        }
        if let raw = a[A.multicastGroup6.rawValue], raw.contains(where: { $0 != 0 }) {
            daemon.settings.group = try inetAddress(raw, family: .inet6, context: context)
        }
        daemon.settings.port = try a.optionalInteger(A.multicastPort.rawValue, UInt16.self, context: context, name: "port") ?? 0
        daemon.settings.ttl = try a.optionalInteger(A.multicastTTL.rawValue, UInt8.self, context: context, name: "ttl") ?? 0
        return daemon
    }

    /// union nf_inet_addr (16 bytes; an IPv4 address may also come as its 4 bytes).
    static func inetAddress(_ raw: [UInt8], family: AddressFamily, context: String) throws(NetlinkParseError) -> IPAddress {
        switch family {
        case .inet:
            guard raw.count == 4 || raw.count == 16 else { throw NetlinkParseError(context: context, "IPv4 address of \(raw.count) bytes") }
            return .v4(raw[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
        case .inet6:
            guard raw.count == 16 else { throw NetlinkParseError(context: context, "IPv6 address of \(raw.count) bytes") }
            return .v6(raw[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, raw[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
        }
    }

    /// The counters and rates: STATS64 (every value 64 bits) when present, else STATS (packets and
    /// connections 32 bits, bytes 64). Neither present: zeros.
    static func stats(_ a: NetlinkAttributes, stats: UInt16, stats64: UInt16, context: String) throws(NetlinkParseError) -> (TrafficStats, TrafficRates) {
        typealias T = IPVSGenericNetlink.StatsAttribute
        if let s = try a.nested(stats64, context: context + " stats64") {
            let c = context + " stats64"
            func v(_ t: T) throws(NetlinkParseError) -> UInt64 { try s.optionalInteger(t.rawValue, UInt64.self, context: c, name: "\(t)") ?? 0 }
            var counters = TrafficStats()
            counters.connections = try v(.connections)
            counters.inPackets = try v(.inPackets)
            counters.outPackets = try v(.outPackets)
            counters.inBytes = try v(.inBytes)
            counters.outBytes = try v(.outBytes)
            var rates = TrafficRates()
            rates.connectionsPerSecond = try v(.cps)
            rates.inPacketsPerSecond = try v(.inPPS)
            rates.outPacketsPerSecond = try v(.outPPS)
            rates.inBytesPerSecond = try v(.inBPS)
            rates.outBytesPerSecond = try v(.outBPS)
            return (counters, rates)
        }
        guard let s = try a.nested(stats, context: context + " stats") else { return (TrafficStats(), TrafficRates()) }
        let c = context + " stats"
        func v32(_ t: T) throws(NetlinkParseError) -> UInt64 { UInt64(try s.optionalInteger(t.rawValue, UInt32.self, context: c, name: "\(t)") ?? 0) }
        func v64(_ t: T) throws(NetlinkParseError) -> UInt64 { try s.optionalInteger(t.rawValue, UInt64.self, context: c, name: "\(t)") ?? 0 }
        var counters = TrafficStats()
        counters.connections = try v32(.connections)
        counters.inPackets = try v32(.inPackets)
        counters.outPackets = try v32(.outPackets)
        counters.inBytes = try v64(.inBytes)
        counters.outBytes = try v64(.outBytes)
        var rates = TrafficRates()
        rates.connectionsPerSecond = try v32(.cps)
        rates.inPacketsPerSecond = try v32(.inPPS)
        rates.outPacketsPerSecond = try v32(.outPPS)
        rates.inBytesPerSecond = try v32(.inBPS)
        rates.outBytesPerSecond = try v32(.outBPS)
        return (counters, rates)
    }
}
