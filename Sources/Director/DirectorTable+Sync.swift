public import ShoalCore

/// A persistence template as connection synchronization carries it between directors (the IPVS sync
/// protocol's template entries): client network, virtual endpoint (port 0 for port-zero and FTP services),
/// real server, and the template's timeout in seconds.
public struct SyncedTemplate: Hashable, Sendable {
    public var proto: TransportProtocol
    public var client: IPAddress
    public var virtual: Endpoint
    public var destination: Endpoint
    public var timeout: Int

    public init(proto: TransportProtocol, client: IPAddress, virtual: Endpoint, destination: Endpoint, timeout: Int) {
        self.proto = proto
        self.client = client
        self.virtual = virtual
        self.destination = destination
        self.timeout = timeout
    }
}

extension DirectorTable {
    /// The persistence templates new clients still match (what a master sends its backups).
    public var persistenceTemplates: [SyncedTemplate] {
        templates.values.compactMap { id in
            guard let t = connections[id] else { return nil }
            return SyncedTemplate(proto: t.proto, client: t.client.address, virtual: t.virtual, destination: t.destination, timeout: t.timeout)
        }
    }

    /// Installs a template a master sent: the service is found by protocol and virtual endpoint (or fwmark), the
    /// real server by its endpoint; the template for that client network is created or pointed at that server,
    /// and its timer restarted. False when no persistent service or no such server matches (the entry is dropped,
    /// as the kernel's sync receiver drops entries for unknown services).
    @discardableResult
    public mutating func installTemplate(_ synced: SyncedTemplate, at now: DirectorTime) -> Bool {
        advance(to: now)
        let candidates: [VirtualServiceKey] = synced.proto == .ip
            ? [.fwmark(synced.virtual.address.foldedWord, synced.client.family)]
            : [.address(synced.proto, synced.virtual), .address(synced.proto, Endpoint(synced.virtual.address, 0))]
        let index = serviceIndex
        guard let si = candidates.lazy.compactMap({ index[$0] }).first,
              let persistence = services[si].config.persistence else { return false }
        let port = synced.destination.port
        guard let j = services[si].servers.firstIndex(where: {
            $0.endpoint == synced.destination || (port == 0 && $0.endpoint.address == synced.destination.address)
        }) else { return false }
        let key = TemplateKey(serviceUID: services[si].uid, clientNetwork: persistence.clientNetwork(synced.client))
        if let tid = templates[key], let t = connections[tid] {
            if t.serverID == services[si].servers[j].id {
                arm(tid, at: now.adding(seconds: t.timeout), kind: .templateExpire)
                return true
            }
            invalidateTemplate(tid)
        }
        let request = ConnectionRequest(proto: synced.proto == .ip ? .tcp : synced.proto, client: Endpoint(synced.client, 0), virtual: synced.virtual)
        let id = createTemplate(key: key, serviceIndex: si, serverIndex: j, request: request, timeout: max(1, synced.timeout), now: now)
        arm(id, at: now.adding(seconds: max(1, synced.timeout)), kind: .templateExpire)
        return true
    }
}
