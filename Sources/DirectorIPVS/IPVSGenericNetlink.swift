/// The numbers of the kernel's IPVS generic netlink family, as `include/uapi/linux/ip_vs.h` defines them.
public enum IPVSGenericNetlink {
    /// IPVS_GENL_NAME: the family name the controller resolves to an id.
    public static let familyName = "IPVS"
    /// IPVS_GENL_VERSION.
    public static let version: UInt8 = 1

    /// IPVS_CMD_*.
    public enum Command: UInt8, Sendable, CaseIterable {
        case newService = 1, setService, delService, getService
        case newDest, setDest, delDest, getDest
        case newDaemon, delDaemon, getDaemon
        case setConfig, getConfig
        case setInfo, getInfo
        case zero, flush
    }

    /// IPVS_CMD_ATTR_*: the top-level attributes of a message.
    public enum CommandAttribute: UInt16, Sendable {
        case service = 1, dest, daemon, timeoutTCP, timeoutTCPFin, timeoutUDP
    }

    /// IPVS_SVC_ATTR_*: inside IPVS_CMD_ATTR_SERVICE.
    public enum ServiceAttribute: UInt16, Sendable {
        case af = 1, proto, address, port, fwmark, schedulerName, flags, timeout, netmask, stats, persistenceEngine, stats64
    }

    /// IPVS_DEST_ATTR_*: inside IPVS_CMD_ATTR_DEST.
    public enum DestAttribute: UInt16, Sendable {
        case address = 1, port, forwardingMethod, weight, upperThreshold, lowerThreshold
        case activeConnections, inactiveConnections, persistentConnections, stats, addressFamily, stats64
        case tunnelType, tunnelPort, tunnelFlags
    }

    /// IPVS_DAEMON_ATTR_*: inside IPVS_CMD_ATTR_DAEMON.
    public enum DaemonAttribute: UInt16, Sendable {
        case state = 1, multicastInterface, syncID, syncMaxLength, multicastGroup, multicastGroup6, multicastPort, multicastTTL
    }

    /// IPVS_STATS_ATTR_*: inside the STATS and STATS64 nests.
    public enum StatsAttribute: UInt16, Sendable {
        case connections = 1, inPackets, outPackets, inBytes, outBytes, cps, inPPS, outPPS, inBPS, outBPS
    }

    /// IPVS_INFO_ATTR_*: in the reply to IPVS_CMD_GET_INFO.
    public enum InfoAttribute: UInt16, Sendable {
        case version = 1, connectionTableSize
    }

    /// IP_VS_SVC_F_*.
    public enum ServiceFlag {
        public static let persistent: UInt32 = 0x0001
        public static let hashed: UInt32 = 0x0002
        public static let onePacket: UInt32 = 0x0004
        /// SCHED1..3: the scheduler flag bits (`SchedulerFlags` uses the same values).
        public static let schedulerMask: UInt32 = 0x0038
    }

    /// IP_VS_CONN_F_* forwarding methods (the low three bits).
    public enum Forwarding {
        public static let masquerade: UInt32 = 0
        public static let localNode: UInt32 = 1
        public static let tunnel: UInt32 = 2
        public static let directRoute: UInt32 = 3
        public static let bypass: UInt32 = 4
        public static let mask: UInt32 = 7
    }

    /// IP_VS_STATE_*: the sync daemon roles.
    public enum DaemonState {
        public static let master: UInt32 = 1
        public static let backup: UInt32 = 2
    }
}

/// Netlink framing numbers (linux/netlink.h).
public enum NetlinkConstant {
    /// NLMSG_ERROR: an error or, with code 0, an acknowledgement.
    public static let messageError: UInt16 = 2
    /// NLMSG_DONE: the end of a dump.
    public static let messageDone: UInt16 = 3
    /// NLMSG_NOOP.
    public static let messageNoop: UInt16 = 1
    /// NLMSG_OVERRUN.
    public static let messageOverrun: UInt16 = 4

    public static let flagRequest: UInt16 = 0x0001
    public static let flagMulti: UInt16 = 0x0002
    public static let flagAck: UInt16 = 0x0004
    /// NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH.
    public static let flagDump: UInt16 = 0x0300

    /// NLA_F_NESTED and NLA_F_NET_BYTEORDER: flag bits of an attribute's type.
    public static let attributeTypeMask: UInt16 = 0x3fff
    /// sizeof(struct nlmsghdr).
    public static let messageHeaderLength = 16
    /// sizeof(struct genlmsghdr).
    public static let genericHeaderLength = 4
}
