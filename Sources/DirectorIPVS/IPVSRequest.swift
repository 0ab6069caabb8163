public import Director
public import ShoalCore

/// One request to the kernel's IPVS family: every command ipvsadm 1.31 sends, with its attributes laid out
/// as `include/uapi/linux/ip_vs.h` defines them.
public enum IPVSRequest: Hashable, Sendable {
    case newService(VirtualServiceConfig)
    case setService(VirtualServiceConfig)
    case deleteService(VirtualServiceKey)
    case newDest(VirtualServiceKey, RealServerConfig)
    case setDest(VirtualServiceKey, RealServerConfig)
    case deleteDest(VirtualServiceKey, Endpoint)
    case flush
    /// Zero the counters of one service, or of all (no service attribute).
    case zero(VirtualServiceKey?)
    /// Dump every service.
    case getServices
    /// One service by key.
    case getService(VirtualServiceKey)
    /// Dump the real servers of one service.
    case getDests(VirtualServiceKey)
    /// The three timeouts.
    case getConfig
    /// Set timeouts (0 leaves one unchanged).
    case setConfig(tcp: UInt32, tcpFin: UInt32, udp: UInt32)
    /// The IPVS version and connection table size.
    case getInfo
    case newDaemon(IPVSSyncDaemon)
    case deleteDaemon(IPVSSyncDaemon.Role)
    /// Dump the running sync daemons.
    case getDaemons

    public typealias Command = IPVSGenericNetlink.Command

    /// The generic netlink command.
    public var command: Command {
        switch self {
        case .newService: return .newService
        case .setService: return .setService
        case .deleteService: return .delService
        case .newDest: return .newDest
        case .setDest: return .setDest
        case .deleteDest: return .delDest
        case .flush: return .flush
        case .zero: return .zero
        case .getServices, .getService: return .getService
        case .getDests: return .getDest
        case .getConfig: return .getConfig
        case .setConfig: return .setConfig
        case .getInfo: return .getInfo
        case .newDaemon: return .newDaemon
        case .deleteDaemon: return .delDaemon
        case .getDaemons: return .getDaemon
        }
    }

    /// Dumps answer with many messages and NLMSG_DONE (NLM_F_DUMP).
    public var isDump: Bool {
        switch self {
        case .getServices, .getDests, .getDaemons: return true
        default: return false
        }
    }

    /// The request as a netlink message: NLM_F_REQUEST | NLM_F_ACK (| NLM_F_DUMP), as libnl sends it.
    public func message(family: UInt16, sequence: UInt32, portID: UInt32 = 0) -> NetlinkMessage {
        var flags = NetlinkConstant.flagRequest | NetlinkConstant.flagAck
        if isDump { flags |= NetlinkConstant.flagDump }
        return NetlinkMessage(type: family, flags: flags, sequence: sequence, portID: portID, payload: body)
    }

    /// The generic netlink body: genlmsghdr (command, version 1) and the attributes.
    public var body: [UInt8] {
        var w = NetlinkAttributeWriter()
        typealias A = IPVSGenericNetlink.CommandAttribute
        switch self {
        case let .newService(config), let .setService(config):
            w.nest(A.service.rawValue) { Self.writeService(config, into: &$0) }
        case let .deleteService(key), let .getService(key), let .getDests(key), let .zero(key?):
            w.nest(A.service.rawValue) { Self.writeServiceKey(key, into: &$0) }
        case let .newDest(key, server), let .setDest(key, server):
            w.nest(A.service.rawValue) { Self.writeServiceKey(key, into: &$0) }
            w.nest(A.dest.rawValue) { Self.writeDest(server, into: &$0) }
        case let .deleteDest(key, endpoint):
            w.nest(A.service.rawValue) { Self.writeServiceKey(key, into: &$0) }
            w.nest(A.dest.rawValue) { Self.writeDestKey(endpoint, into: &$0) }
        case let .setConfig(tcp, tcpFin, udp):
            w.putU32(A.timeoutTCP.rawValue, tcp)
            w.putU32(A.timeoutTCPFin.rawValue, tcpFin)
            w.putU32(A.timeoutUDP.rawValue, udp)
        case let .newDaemon(daemon):
            w.nest(A.daemon.rawValue) { Self.writeDaemon(daemon, into: &$0) }
        case let .deleteDaemon(role):
            w.nest(A.daemon.rawValue) { $0.putU32(IPVSGenericNetlink.DaemonAttribute.state.rawValue, IPVSSyncDaemon(role: role).stateValue) }
        case .flush, .zero(nil), .getServices, .getConfig, .getInfo, .getDaemons:
            break
        }
        return GenericNetlinkBody.bytes(command: command.rawValue, version: IPVSGenericNetlink.version, attributes: w)
    }

    // MARK: Attribute layouts

    /// union nf_inet_addr: 16 bytes, an IPv4 address in the first four (network order).
    static func inetAddress(_ address: IPAddress) -> [UInt8] {
        switch address {
        case let .v4(v):
            return NetlinkAttributeWriter.host(v.bigEndian) + [UInt8](repeating: 0, count: 12)
        case let .v6(hi, lo):
            return NetlinkAttributeWriter.host(hi.bigEndian) + NetlinkAttributeWriter.host(lo.bigEndian)
        }
    }

    /// What identifies a service: AF and the firewall mark, or AF, protocol, address and port.
    static func writeServiceKey(_ key: VirtualServiceKey, into w: inout NetlinkAttributeWriter) {
        typealias S = IPVSGenericNetlink.ServiceAttribute
        w.putU16(S.af.rawValue, UInt16(key.family.rawValue))
        switch key {
        case let .fwmark(mark, _):
            w.putU32(S.fwmark.rawValue, mark)
        case let .address(proto, endpoint):
            w.putU16(S.proto.rawValue, UInt16(proto.rawValue))
            w.put(S.address.rawValue, bytes: inetAddress(endpoint.address))
            w.putBigEndianU16(S.port.rawValue, endpoint.port)
        }
    }

    /// A whole service (ipvs_nl_fill_service_attr): the key, scheduler, persistence engine, flags with an
    /// all-ones mask, persistence timeout and netmask (IPv4: the mask in network order; IPv6: the prefix length).
    static func writeService(_ config: VirtualServiceConfig, into w: inout NetlinkAttributeWriter) {
        typealias S = IPVSGenericNetlink.ServiceAttribute
        writeServiceKey(config.key, into: &w)
        w.putString(S.schedulerName.rawValue, config.scheduler.rawValue)
        if let engine = config.persistenceEngine, !engine.isEmpty { w.putString(S.persistenceEngine.rawValue, engine) }
        w.put(S.flags.rawValue, bytes: NetlinkAttributeWriter.host(serviceFlags(config)) + NetlinkAttributeWriter.host(UInt32.max))
        w.putU32(S.timeout.rawValue, UInt32(clamping: config.persistence?.timeout ?? 0))
        w.putU32(S.netmask.rawValue, config.key.family == .inet ? config.netmask.bigEndian : config.netmask)
    }

    /// IP_VS_SVC_F_*: persistent, one-packet and the scheduler flag bits.
    static func serviceFlags(_ config: VirtualServiceConfig) -> UInt32 {
        var flags = config.schedulerFlags.rawValue & IPVSGenericNetlink.ServiceFlag.schedulerMask
        if config.persistence != nil { flags |= IPVSGenericNetlink.ServiceFlag.persistent }
        if config.onePacket { flags |= IPVSGenericNetlink.ServiceFlag.onePacket }
        return flags
    }

    /// What identifies a real server: its address family, address and port.
    static func writeDestKey(_ endpoint: Endpoint, into w: inout NetlinkAttributeWriter) {
        typealias D = IPVSGenericNetlink.DestAttribute
        w.put(D.address.rawValue, bytes: inetAddress(endpoint.address))
        w.putBigEndianU16(D.port.rawValue, endpoint.port)
        w.putU16(D.addressFamily.rawValue, UInt16(endpoint.address.family.rawValue))
    }

    /// A whole real server (ipvs_nl_fill_dest_attr): address, port, forwarding method, weight, tunnel
    /// type/port/flags, thresholds, and the address family (a tunnel may cross families).
    static func writeDest(_ server: RealServerConfig, into w: inout NetlinkAttributeWriter) {
        typealias D = IPVSGenericNetlink.DestAttribute
        w.put(D.address.rawValue, bytes: inetAddress(server.endpoint.address))
        w.putBigEndianU16(D.port.rawValue, server.endpoint.port)
        w.putU32(D.forwardingMethod.rawValue, forwardingValue(server.forwarding))
        w.putU32(D.weight.rawValue, UInt32(truncatingIfNeeded: server.weight))
        w.putU8(D.tunnelType.rawValue, tunnelTypeValue(server.tunnel.kind))
        w.putBigEndianU16(D.tunnelPort.rawValue, server.tunnel.port)
        w.putU16(D.tunnelFlags.rawValue, UInt16(server.tunnel.checksum.rawValue))
        w.putU32(D.upperThreshold.rawValue, UInt32(truncatingIfNeeded: server.upperThreshold))
        w.putU32(D.lowerThreshold.rawValue, UInt32(truncatingIfNeeded: server.lowerThreshold))
        w.putU16(D.addressFamily.rawValue, UInt16(server.endpoint.address.family.rawValue))
    }

    /// IP_VS_CONN_F_MASQ / LOCALNODE / TUNNEL / DROUTE.
    static func forwardingValue(_ method: ForwardingMethod) -> UInt32 {
        typealias F = IPVSGenericNetlink.Forwarding
        switch method {
        case .masquerade: return F.masquerade
        case .local: return F.localNode
        case .tunnel: return F.tunnel
        case .route: return F.directRoute
        }
    }

    /// IP_VS_CONN_F_TUNNEL_TYPE_IPIP / GUE / GRE.
    static func tunnelTypeValue(_ kind: TunnelInfo.Kind) -> UInt8 {
        switch kind {
        case .ipip: return 0
        case .gue: return 1
        case .gre: return 2
        }
    }

    /// A daemon to start: state, interface, sync id, then the optional settings that differ from the defaults.
    static func writeDaemon(_ daemon: IPVSSyncDaemon, into w: inout NetlinkAttributeWriter) {
        typealias D = IPVSGenericNetlink.DaemonAttribute
        let settings = daemon.settings
        w.putU32(D.state.rawValue, daemon.stateValue)
        w.putString(D.multicastInterface.rawValue, settings.interface)
        w.putU32(D.syncID.rawValue, settings.syncID)
        if settings.maxLength != 0 { w.putU16(D.syncMaxLength.rawValue, settings.maxLength) }
        switch settings.group {
        case let .v4(v)?: w.put(D.multicastGroup.rawValue, bytes: NetlinkAttributeWriter.host(v.bigEndian))
        case let group?: w.put(D.multicastGroup6.rawValue, bytes: inetAddress(group))
        case nil: break
        }
        if settings.port != 0 { w.putU16(D.multicastPort.rawValue, settings.port) }
        if settings.ttl != 0 { w.putU8(D.multicastTTL.rawValue, settings.ttl) }
    }
}
