public import ShoalCore

/// What a full-proxy dataplane needs beyond the kernel's packet path: every accepted connection is new,
/// a server that refused is skipped on the retry, and a server can be named (cookie persistence).
extension DirectorTable {
    /// Schedules a connection the dataplane just accepted.
    ///
    /// Unlike a packet path, an accepted TCP connection is always new: a leftover entry with the same
    /// client and virtual endpoints (a closed connection in FIN_WAIT whose port the client reused) is
    /// expired first, as the kernel does with `conn_reuse_mode`. Servers in `excluding` are skipped as
    /// if overloaded, and a persistence template pointing at one of them is dropped.
    public mutating func accept(_ request: ConnectionRequest, at now: DirectorTime, excluding: Set<Endpoint> = []) -> ConnectionOutcome {
        advance(to: now)
        let tuple = ConnectionTuple(proto: request.proto, client: request.client, virtual: request.virtual)
        if request.proto != .udp, let id = byTuple[tuple], let old = connections[id] {
            if old.isActive {
                // Still open: an L7 proxy opens one server connection per pool for the same client
                // connection. Both entries stay; only the lookup index moves to the new one.
                byTuple[tuple] = nil
            } else {
                remove(old)
            }
        }
        guard !excluding.isEmpty, let si = findService(request) else { return connect(request, at: now) }

        if let persistence = services[si].config.persistence {
            let key = TemplateKey(serviceUID: services[si].uid, clientNetwork: persistence.clientNetwork(request.client.address))
            if let tid = templates[key], let t = connections[tid], let j = services[si].indexByID[t.serverID],
               excluding.contains(services[si].servers[j].endpoint) {
                invalidateTemplate(tid)
            }
        }
        var flagged: [(index: Int, wasOverloaded: Bool)] = []
        for (j, server) in services[si].servers.enumerated() where excluding.contains(resolved(server.endpoint, request)) {
            flagged.append((j, server.isOverloaded))
            services[si].changeLoad(at: j) { $0.isOverloaded = true }
        }
        let outcome = connect(request, at: now)
        for (j, was) in flagged.reversed() {
            services[si].changeLoad(at: j) { $0.isOverloaded = was }
        }
        return outcome
    }

    /// Binds a new connection to the server at `server` (a persistence cookie named it), when that
    /// server is in the service and usable (weight above 0, not overloaded); nil otherwise.
    public mutating func accept(_ request: ConnectionRequest, at now: DirectorTime, to server: Endpoint) -> ConnectionOutcome? {
        advance(to: now)
        guard let si = findService(request),
              let j = services[si].servers.firstIndex(where: { resolved($0.endpoint, request) == server }),
              services[si].servers[j].isUsable else { return nil }
        var others: [(index: Int, wasOverloaded: Bool)] = []
        for k in services[si].servers.indices where k != j {
            others.append((k, services[si].servers[k].isOverloaded))
            services[si].changeLoad(at: k) { $0.isOverloaded = true }
        }
        let tuple = ConnectionTuple(proto: request.proto, client: request.client, virtual: request.virtual)
        if let id = byTuple[tuple], let old = connections[id] {
            if old.isActive { byTuple[tuple] = nil } else { remove(old) }
        }
        let outcome = connect(request, at: now)
        for (k, was) in others.reversed() {
            services[si].changeLoad(at: k) { $0.isOverloaded = was }
        }
        guard outcome.destination == server else {
            // A persistence template pinned the client elsewhere, or the scheduler cannot pick a lone
            // server (hash schedulers): give the entry back rather than break the cookie's promise.
            if case let .forwarded(id?, _, _) = outcome, let c = connections[id] { remove(c) }
            return nil
        }
        return outcome
    }

    /// True when `server` is a usable server of the service with this key.
    public func accepts(_ server: Endpoint, in key: VirtualServiceKey) -> Bool {
        guard let s = service(key) else { return false }
        return s.servers.contains { $0.isUsable && ($0.endpoint == server || ($0.endpoint.port == 0 && $0.endpoint.address == server.address)) }
    }

    /// Removes a connection entry at once (its server could not be reached, so it never existed).
    public mutating func discard(_ id: ConnectionID) {
        guard let c = connections[id], !c.isTemplate else { return }
        remove(c)
    }

    /// A server's endpoint as the connection would reach it (port 0 means the virtual port).
    func resolved(_ endpoint: Endpoint, _ request: ConnectionRequest) -> Endpoint {
        endpoint.port == 0 ? Endpoint(endpoint.address, request.virtual.port) : endpoint
    }
}

extension DirectorTable {
    /// The server a new connection hashed by `affinityKey` would get now (a mail director's "which node serves
    /// this user"), without entering the table or changing anything.
    public func server(forAffinityKey affinityKey: UInt32, in key: VirtualServiceKey) -> Endpoint? {
        guard var service = service(key) else { return nil }
        let vip: Endpoint
        if case let .address(_, endpoint) = key { vip = endpoint } else { vip = Endpoint(.v4(0), 0) }
        let request = SchedulingRequest(client: Endpoint(.v4(0), 0), destination: vip, affinityKey: affinityKey)
        guard let index = service.schedule(request) else { return nil }
        return resolved(service.servers[index].endpoint, ConnectionRequest(proto: key.transport, client: request.client, virtual: vip))
    }
}
