public import ShoalCore

/// One message of the IPVS connection-synchronization protocol, version 1 (the kernel's
/// `net/netfilter/ipvs/ip_vs_sync.c`: `struct ip_vs_sync_mesg` then `struct ip_vs_sync_v4`/`v6` entries, each
/// padded to 4 bytes), as the sync daemons send it to 224.0.0.81 port 8848 or to unicast peers.
public struct IPVSSyncMessage: Hashable, Sendable {
    /// The multicast group and UDP port of the kernel's sync daemons.
    public static let multicastGroup = IPAddress.v4(0xE000_0051)
    public static let port: UInt16 = 8848
    /// `SYNC_PROTO_VER`.
    public static let version: UInt8 = 1
    /// The header: reserved(1) syncid(1) size(2) nr_conns(1) version(1) spare(2).
    public static let headerLength = 8
    /// The largest message this codec reads or writes (a jumbo-frame datagram; the kernel sizes to the MTU).
    public static let maximumLength = 9000

    public var syncID: UInt8
    public var connections: [IPVSSyncConnection]

    public init(syncID: UInt8, connections: [IPVSSyncConnection]) {
        self.syncID = syncID
        self.connections = connections
    }
}

/// One synchronized connection or persistence template (`IP_VS_CONN_F_TEMPLATE` in `flags`).
public struct IPVSSyncConnection: Hashable, Sendable {
    /// `IP_VS_CONN_F_TEMPLATE`: a persistence template (client → real server, ports 0 unless per-port).
    public static let templateFlag: UInt32 = 0x1000

    /// IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP.
    public var ipProtocol: UInt8
    /// `IP_VS_CONN_F_*` (forwarding method, template, hashed...).
    public var flags: UInt32
    /// The protocol state (`IP_VS_TCP_S_*`, ...).
    public var state: UInt16
    public var client: IPAddress
    public var clientPort: UInt16
    public var virtual: IPAddress
    public var virtualPort: UInt16
    public var destination: IPAddress
    public var destinationPort: UInt16
    public var fwmark: UInt32
    /// Seconds the entry lives without traffic.
    public var timeout: UInt32
    /// `IPVS_OPT_SEQ_DATA`: TCP sequence adjustments (in and out: init_seq, delta, previous_delta).
    public var sequence: [UInt32]?
    /// `IPVS_OPT_PE_DATA` / `IPVS_OPT_PE_NAME`: the persistence engine's data and name (e.g. "sip").
    public var persistenceEngineData: [UInt8]?
    public var persistenceEngineName: [UInt8]?

    public init(ipProtocol: UInt8, flags: UInt32, state: UInt16, client: IPAddress, clientPort: UInt16, virtual: IPAddress,
                virtualPort: UInt16, destination: IPAddress, destinationPort: UInt16, fwmark: UInt32 = 0, timeout: UInt32,
                sequence: [UInt32]? = nil, persistenceEngineData: [UInt8]? = nil, persistenceEngineName: [UInt8]? = nil) {
        self.ipProtocol = ipProtocol
        self.flags = flags
        self.state = state
        self.client = client
        self.clientPort = clientPort
        self.virtual = virtual
        self.virtualPort = virtualPort
        self.destination = destination
        self.destinationPort = destinationPort
        self.fwmark = fwmark
        self.timeout = timeout
        self.sequence = sequence
        self.persistenceEngineData = persistenceEngineData
        self.persistenceEngineName = persistenceEngineName
    }

    public var isTemplate: Bool { flags & Self.templateFlag != 0 }
}

/// Why a sync message was dropped.
public enum IPVSSyncDecodingError: Error, Hashable, Sendable {
    case shorterThanHeader(Int)
    /// Not a version 1 header (reserved, version or spare not as v1 has them): a version 0 message.
    case notVersion1
    case lengthMismatch(field: Int, datagram: Int)
    case tooLong(Int)
    case truncatedConnection(index: Int)
    case unknownAddressType(UInt8)
    case badConnectionSize(index: Int, size: Int)
    case badOption(index: Int, type: UInt8)
    case countMismatch(field: Int, found: Int)
}

/// Why a sync message cannot be encoded.
public enum IPVSSyncEncodingError: Error, Hashable, Sendable {
    case mixedFamilies(index: Int)
    case tooManyConnections(Int)
    case tooLong(Int)
    case badSequence(index: Int)
    case optionTooLong(index: Int)
}
