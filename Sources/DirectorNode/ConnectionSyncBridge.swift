import Director
import Logging
import Failover
import ShoalCore

/// Between the director's table and the IPVS sync protocol: persistence templates out as template entries
/// (`IP_VS_CONN_F_TEMPLATE`, client port 0), template entries in as templates of the live table.
enum ConnectionSyncBridge {
    static func entry(_ t: SyncedTemplate) -> IPVSSyncConnection {
        IPVSSyncConnection(ipProtocol: UInt8(t.proto.rawValue), flags: IPVSSyncConnection.templateFlag, state: 0, client: t.client, clientPort: 0,
                           virtual: t.virtual.address, virtualPort: t.virtual.port, destination: t.destination.address,
                           destinationPort: t.destination.port, timeout: UInt32(clamping: t.timeout))
    }

    /// The template an entry describes; nil for connection entries (the userspace proxy cannot adopt another
    /// director's TCP connections) and unknown protocols.
    static func template(_ e: IPVSSyncConnection) -> SyncedTemplate? {
        guard e.isTemplate, let proto = TransportProtocol(rawValue: Int(e.ipProtocol)) else { return nil }
        return SyncedTemplate(proto: proto, client: e.client, virtual: Endpoint(e.virtual, e.virtualPort),
                              destination: Endpoint(e.destination, e.destinationPort), timeout: Int(e.timeout))
    }

    /// A daemon that sends the runtime's templates while one of `failover`'s instances is master and installs
    /// what it receives otherwise.
    static func daemon(_ configuration: ConnectionSyncConfiguration, runtime: DirectorRuntime, failover: FailoverService,
                       logger: Logging.Logger) -> ConnectionSyncDaemon {
        ConnectionSyncDaemon(
            configuration: configuration, logger: logger,
            isMaster: { failover.status.contains { $0.state == .master } },
            entries: { runtime.live.withLockedValue { $0.table.persistenceTemplates }.map(entry) },
            install: { entries in
                let templates = entries.compactMap(template)
                guard !templates.isEmpty else { return }
                let now = runtime.now
                runtime.live.withLockedValue { live in
                    for t in templates { live.table.installTemplate(t, at: now) }
                }
            })
    }
}
