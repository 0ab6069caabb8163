public import ShoalCore

/// A new connection (its first packet) arriving at the director.
public struct ConnectionRequest: Hashable, Sendable {
    public var proto: TransportProtocol
    public var client: Endpoint
    /// The destination the client used: a virtual address and port.
    public var virtual: Endpoint
    /// The packet's firewall mark, when the dataplane marks packets.
    public var fwmark: UInt32?
    /// When the connection's established phase ends (TCP) or its last datagram is sent (UDP); nil when a
    /// live dataplane will report the close itself.
    public var activeUntil: DirectorTime?
    /// Hashed by sh/mh instead of the client address (a mail director's user key); nil: the client address.
    public var affinityKey: UInt32?

    public init(proto: TransportProtocol, client: Endpoint, virtual: Endpoint, fwmark: UInt32? = nil, activeUntil: DirectorTime? = nil,
                affinityKey: UInt32? = nil) {
        self.proto = proto
        self.client = client
        self.virtual = virtual
        self.fwmark = fwmark
        self.activeUntil = activeUntil
        self.affinityKey = affinityKey
    }
}

/// What the director did with a new connection.
public enum ConnectionOutcome: Hashable, Sendable {
    /// Sent to `destination`; `connection` is nil for one-packet scheduling (no table entry).
    case forwarded(connection: ConnectionID?, destination: Endpoint, reused: Bool)
    /// No service matches, or the service has no server that can take it.
    case dropped(DropReason)

    /// The real server chosen, or nil when dropped.
    public var destination: Endpoint? {
        if case let .forwarded(_, destination, _) = self { return destination }
        return nil
    }
}

/// Why a connection was not forwarded.
public enum DropReason: Hashable, Sendable {
    case noService
    case noServerAvailable
}

extension DirectorTable {
    /// ip_vs_service_find: fwmark first, then protocol/address/port, then the port-zero service.
    func findService(_ request: ConnectionRequest) -> Int? {
        if let mark = request.fwmark, mark != 0, let i = serviceIndex[.fwmark(mark, request.client.address.family)] {
            return i
        }
        if let i = serviceIndex[.address(request.proto, request.virtual)] { return i }
        let portZero = Endpoint(request.virtual.address, 0)
        if let i = serviceIndex[.address(request.proto, portZero)], services[i].config.persistence != nil { return i }
        return nil
    }

    /// Schedules a new connection at `now`: expiries due by then happen first, a known connection
    /// keeps its server, persistence templates are honoured, then the scheduler decides.
    public mutating func connect(_ request: ConnectionRequest, at now: DirectorTime) -> ConnectionOutcome {
        advance(to: now)
        let tuple = ConnectionTuple(proto: request.proto, client: request.client, virtual: request.virtual)
        if let id = byTuple[tuple], let existing = connections[id] {
            reuse(existing, request, now)
            return .forwarded(connection: id, destination: existing.destination, reused: true)
        }
        guard let si = findService(request) else { return .dropped(.noService) }
        let schedulingRequest = SchedulingRequest(client: request.client, destination: request.virtual, now: now,
                                                 affinityKey: request.affinityKey)

        var serverIndex: Int
        var template: ConnectionID? = nil
        if let persistence = services[si].config.persistence {
            let key = TemplateKey(serviceUID: services[si].uid, clientNetwork: persistence.clientNetwork(request.client.address))
            if let tid = templates[key], let t = connections[tid] {
                if let index = services[si].indexByID[t.serverID] {
                    serverIndex = index
                    template = tid
                } else {
                    invalidateTemplate(tid)
                }
            }
            if template == nil {
                guard let chosen = services[si].schedule(schedulingRequest) else { return .dropped(.noServerAvailable) }
                serverIndex = chosen
                template = createTemplate(key: key, serviceIndex: si, serverIndex: chosen, request: request, timeout: persistence.timeout, now: now)
            } else {
                serverIndex = services[si].indexByID[connections[template!]!.serverID]!
            }
        } else {
            guard let chosen = services[si].schedule(schedulingRequest) else { return .dropped(.noServerAvailable) }
            serverIndex = chosen
        }

        let server = services[si].servers[serverIndex]
        var destination = server.endpoint
        if destination.port == 0 { destination.port = request.virtual.port }
        services[si].stats.connections &+= 1
        services[si].servers[serverIndex].stats.connections &+= 1

        if let tid = template {
            // ip_vs_conn_put(ct): every use restarts the template's timer with its timeout.
            let t = connections[tid]!
            connections[tid]!.controlledCount += (services[si].config.onePacket && request.proto == .udp) ? 0 : 1
            arm(tid, at: now.adding(seconds: t.timeout), kind: .templateExpire)
        }

        let active = request.proto != .udp
        if services[si].config.onePacket && request.proto == .udp {
            // One-packet scheduling: the entry is bound and released at once; nothing stays in the table.
            services[si].changeLoad(at: serverIndex) { $0.bind(.inactive) }
            services[si].changeLoad(at: serverIndex) { $0.unbind(.inactive) }
            return .forwarded(connection: nil, destination: destination, reused: false)
        }

        let id = ConnectionID(rawValue: nextConnectionID)
        nextConnectionID += 1
        var connection = Connection(
            id: id, proto: request.proto, client: request.client, virtual: request.virtual, destination: destination,
            state: active ? .established : .udp, isActive: active, expires: now, timeout: 0,
            controller: template, serviceUID: services[si].uid, serverID: server.id,
            activeUntil: request.activeUntil, templateKey: nil)
        services[si].changeLoad(at: serverIndex) { $0.bind(active ? .active : .inactive) }
        connection.timeout = active ? timeouts.tcp : timeouts.udp
        connections[id] = connection
        byTuple[tuple] = id
        scheduleTimers(for: id, from: now)
        return .forwarded(connection: id, destination: destination, reused: false)
    }

    /// Arms the timers of a fresh or reused connection.
    mutating func scheduleTimers(for id: ConnectionID, from now: DirectorTime) {
        guard let c = connections[id] else { return }
        if c.isActive {
            if let end = c.activeUntil, end > now {
                connections[id]!.expires = end
                arm(id, at: end, kind: .close)
            } else if let end = c.activeUntil {
                // Already over: the connection closes at once.
                close(id, at: max(end, now))
            } else {
                arm(id, at: now.adding(seconds: timeouts.tcp), kind: .expire)
            }
        } else {
            let last = max(c.activeUntil ?? now, now)
            arm(id, at: last.adding(seconds: timeouts.udp), kind: .expire)
        }
    }

    /// Packets of a connection already in the table: same server, timers restarted, no scheduling.
    mutating func reuse(_ existing: Connection, _ request: ConnectionRequest, _ now: DirectorTime) {
        let id = existing.id
        connections[id]!.activeUntil = request.activeUntil
        if existing.proto != .udp && !existing.isActive {
            connections[id]!.isActive = true
            connections[id]!.state = .established
            changeLoad(service: existing.serviceUID, server: existing.serverID) { $0.activate() }
        }
        if let tid = existing.controller, let t = connections[tid] {
            arm(tid, at: now.adding(seconds: t.timeout), kind: .templateExpire)
        }
        scheduleTimers(for: id, from: now)
    }

    mutating func createTemplate(key: TemplateKey, serviceIndex si: Int, serverIndex: Int, request: ConnectionRequest, timeout: Int, now: DirectorTime) -> ConnectionID {
        let id = ConnectionID(rawValue: nextConnectionID)
        nextConnectionID += 1
        let server = services[si].servers[serverIndex]
        // ip_vs_sched_persist's template tuples:
        //   <protocol, caddr, 0, vaddr, vport, daddr, dport> for ordinary services,
        //   <protocol, caddr, 0, vaddr, 0, daddr, 0> for FTP (port 21) and port-zero services,
        //   <IPPROTO_IP, caddr, 0, fwmark, 0, daddr, 0> for fwmark services (the mark as an address).
        let key0 = services[si].key
        let virtual: Endpoint
        var proto = request.proto
        var ordinary = false
        switch key0 {
        case let .fwmark(mark, family):
            proto = .ip
            virtual = Endpoint(family == .inet ? .v4(mark) : .v6(UInt64(mark) << 32, 0), 0)
        case let .address(_, endpoint):
            ordinary = endpoint.port != 0 && endpoint.port != 21
            virtual = Endpoint(request.virtual.address, ordinary ? endpoint.port : 0)
        }
        let template = Connection(
            id: id, proto: proto, client: Endpoint(key.clientNetwork, 0), virtual: virtual,
            destination: Endpoint(server.endpoint.address, ordinary ? server.endpoint.port : 0),
            state: .template, isActive: false, expires: now.adding(seconds: timeout),
            timeout: timeout, controller: nil, serviceUID: services[si].uid, serverID: server.id,
            activeUntil: nil, templateKey: key)
        connections[id] = template
        templates[key] = id
        services[si].changeLoad(at: serverIndex) { $0.bind(.template) }
        return id
    }

    /// ip_vs_check_template failed: the template no longer matches new clients but lives out its timer.
    mutating func invalidateTemplate(_ id: ConnectionID) {
        guard var t = connections[id], let key = t.templateKey else { return }
        if templates[key] == id { templates[key] = nil }
        t.templateKey = nil
        t.virtual.port = 0xffff
        t.destination.port = 0xffff
        t.client.port = 0
        connections[id] = t
    }

    mutating func arm(_ id: ConnectionID, at time: DirectorTime, kind: TimerKind) {
        connections[id]!.expires = time
        timers.push(time, kind, id)
    }

    /// The end of an established TCP connection: it turns inactive for the tcpfin timeout.
    public mutating func close(_ id: ConnectionID, at now: DirectorTime) {
        guard let c = connections[id], c.isActive else { return }
        connections[id]!.isActive = false
        connections[id]!.state = .finWait
        connections[id]!.activeUntil = nil
        changeLoad(service: c.serviceUID, server: c.serverID) { $0.deactivate() }
        arm(id, at: now.adding(seconds: timeouts.tcpFin), kind: .expire)
    }

    /// Traffic seen on a live connection: its idle timer restarts.
    public mutating func touch(_ id: ConnectionID, at now: DirectorTime) {
        guard let c = connections[id], !c.isTemplate, c.activeUntil == nil else { return }
        let timeout = c.isActive ? timeouts.tcp : (c.proto == .udp ? timeouts.udp : timeouts.tcpFin)
        arm(id, at: now.adding(seconds: timeout), kind: .expire)
    }

    /// Runs every timer due at or before `time`, in order of time, then close, expiry, template expiry.
    public mutating func advance(to time: DirectorTime) {
        while let next = timers.first, next.time <= time {
            _ = timers.pop()
            fire(next)
        }
        if time > now { now = time }
    }

    /// The time of the next timer, if any.
    public var nextTimer: DirectorTime? { timers.first?.time }

    mutating func fire(_ timer: TimerEntry) {
        guard let c = connections[timer.connection], c.expires == timer.time else { return }
        switch timer.kind {
        case .close:
            guard c.isActive, c.activeUntil == timer.time else { return }
            close(c.id, at: timer.time)
        case .expire:
            guard !c.isTemplate else { return }
            remove(c)
        case .templateExpire:
            guard c.isTemplate else { return }
            if c.controlledCount > 0 {
                // ip_vs_conn_expire: connections still hang off it, so try again in 60 s.
                connections[c.id]!.timeout = templateRetrySeconds
                arm(c.id, at: timer.time.adding(seconds: templateRetrySeconds), kind: .templateExpire)
            } else {
                connections[c.id] = nil
                if let key = c.templateKey, templates[key] == c.id { templates[key] = nil }
                changeLoad(service: c.serviceUID, server: c.serverID) { $0.unbind(.template) }
            }
        }
    }

    mutating func remove(_ c: Connection) {
        connections[c.id] = nil
        let tuple = ConnectionTuple(proto: c.proto, client: c.client, virtual: c.virtual)
        if byTuple[tuple] == c.id { byTuple[tuple] = nil }
        changeLoad(service: c.serviceUID, server: c.serverID) { $0.unbind(c.isActive ? .active : .inactive) }
        if let tid = c.controller, connections[tid] != nil { connections[tid]!.controlledCount -= 1 }
    }

    // MARK: Counters from a dataplane

    /// Adds traffic a dataplane saw on a connection to its service's and server's counters.
    public mutating func recordTraffic(_ id: ConnectionID, inPackets: UInt64 = 0, outPackets: UInt64 = 0, inBytes: UInt64 = 0, outBytes: UInt64 = 0) {
        guard let c = connections[id], let si = serviceByUID[c.serviceUID] else { return }
        services[si].stats.record(inPackets: inPackets, outPackets: outPackets, inBytes: inBytes, outBytes: outBytes)
        if let j = services[si].indexByID[c.serverID] {
            services[si].servers[j].stats.record(inPackets: inPackets, outPackets: outPackets, inBytes: inBytes, outBytes: outBytes)
        }
    }

    /// One 2-second step of every rate estimator (the kernel's estimation timer).
    public mutating func sampleRates() {
        for i in services.indices {
            services[i].estimator.sample(services[i].stats)
            for j in services[i].servers.indices {
                services[i].servers[j].estimator.sample(services[i].servers[j].stats)
            }
        }
    }
}
