@testable import Director
import ShoalCore

// Small builders for director tables in tests. Names start with `listing` so that helpers other test
// files of this target add are unlikely to clash with them.

/// Lines of printed output, each ended by a newline as printf("...\n") ends them.
func listingText(_ lines: String...) -> String { lines.map { $0 + "\n" }.joined() }

/// An endpoint from `a.b.c.d:port` or `[v6]:port`; a malformed literal is a bug in the test itself.
func listingEndpoint(_ text: String) -> Endpoint {
    guard let endpoint = Endpoint(text) else { preconditionFailure("bad endpoint literal \(text)") }
    return endpoint
}

/// The key of `-t ADDR:PORT`.
func listingTCP(_ text: String) -> VirtualServiceKey { .address(.tcp, listingEndpoint(text)) }

/// The key of `-u ADDR:PORT`.
func listingUDP(_ text: String) -> VirtualServiceKey { .address(.udp, listingEndpoint(text)) }

/// The key of `-f MARK` (or `-f MARK -6`).
func listingFWM(_ mark: UInt32, inet6: Bool = false) -> VirtualServiceKey { .fwmark(mark, inet6 ? .inet6 : .inet) }

/// An `-A` command. `persistent` is `-p` seconds; `netmask` is `-M` (IPv4: the mask as a 32-bit value,
/// IPv6: the prefix length), defaulting to /32 or /128 as ipvsadm does.
func listingService(_ key: VirtualServiceKey, _ scheduler: SchedulerName = .wlc, persistent: Int? = nil,
                    netmask: UInt32? = nil, onePacket: Bool = false, flags: SchedulerFlags = [],
                    pe: String? = nil) -> IPVSCommand {
    let persistence = persistent.map {
        Persistence(timeout: $0, netmask: netmask ?? (key.family == .inet ? 0xffff_ffff : 128))
    }
    return .addService(VirtualServiceConfig(key: key, scheduler: scheduler, persistence: persistence,
                                            onePacket: onePacket, schedulerFlags: flags, persistenceEngine: pe))
}

/// An `-a` command.
func listingServer(_ key: VirtualServiceKey, _ endpoint: String, _ forwarding: ForwardingMethod = .route,
                   weight: Int = 1, upper: Int = 0, lower: Int = 0, tunnel: TunnelInfo = TunnelInfo()) -> IPVSCommand {
    .addServer(key, RealServerConfig(endpoint: listingEndpoint(endpoint), forwarding: forwarding, weight: weight,
                                     upperThreshold: upper, lowerThreshold: lower, tunnel: tunnel))
}

/// A fresh table with the commands applied in order.
func listingTable(_ commands: [IPVSCommand]) throws -> DirectorTable {
    var table = DirectorTable()
    for command in commands { try table.apply(command) }
    return table
}

/// Opens a connection at `seconds`; `activeUntil` ends a TCP connection's established phase. Returns the
/// new entry's identity, or nil when the director dropped it.
@discardableResult
func listingConnect(_ table: inout DirectorTable, _ proto: TransportProtocol, from client: String, to virtual: String,
                    at seconds: Int = 0, activeUntil: Int? = nil, fwmark: UInt32? = nil) -> ConnectionID? {
    let request = ConnectionRequest(proto: proto, client: listingEndpoint(client), virtual: listingEndpoint(virtual),
                                    fwmark: fwmark, activeUntil: activeUntil.map { DirectorTime(seconds: $0) })
    if case let .forwarded(id, _, _) = table.connect(request, at: DirectorTime(seconds: seconds)) { return id }
    return nil
}
