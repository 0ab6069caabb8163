public import Director
public import ShoalCore

/// How nftables forwards one virtual service: the method, what picks a slot, and which real server
/// each slot maps to (pure; `NFTRuleset` writes it as rules).
public struct NFTServicePlan: Hashable, Sendable {
    /// VS/NAT (dnat in a prerouting nat chain, conntrack un-NATs the replies) or VS/DR (the frame
    /// forwarded unchanged to the real server's MAC from a netdev ingress hook, no connection state).
    public enum Method: Hashable, Sendable { case nat, directRouting }

    /// What chooses the slot of a new connection (NAT) or of each packet (DR).
    public enum Selector: Hashable, Sendable {
        /// `numgen inc mod N`: the next slot for every new connection (NAT: conntrack sends only a
        /// connection's first packet through the nat chain).
        case counter(modulus: Int)
        /// `jhash <fields> mod N seed S`: the client address (sh), or address and port (DR's rr/wrr).
        case hash(clientPort: Bool, modulus: Int)
    }

    /// One range of slots and the server it maps to.
    public struct Slot: Hashable, Sendable {
        public var slots: ClosedRange<Int>
        public var server: Endpoint
    }

    public var key: VirtualServiceKey
    public var method: Method
    public var selector: Selector
    public var slots: [Slot]
    /// False for fwmark services whose servers all have port 0: the packet keeps its port.
    public var rewritesPort: Bool
}

extension NFTServicePlan {
    /// The longest rr/wrr cycle written out connection by connection (longer cycles map weight-sized ranges).
    public static let maximumCycle = 4096

    /// The plan for `service` of `table` (nil: no server can take a connection, so no rule), or why
    /// nftables cannot do what the service asks.
    ///
    /// - rr, wrr with NAT: `numgen inc` over the scheduler's own cycle (the core's scheduler picks the
    ///   cycle's connections, so the kernel sends connection n where IPVS would); cycles longer than
    ///   `maximumCycle` map each server to a range as long as its weight over the weights' gcd.
    /// - rr, wrr with DR: no connection state in a netdev hook, so a hash of client address and port over
    ///   weight-sized ranges: every packet of a connection goes to one server, the shares hold on average.
    /// - sh: `jhash` of the client address (and port with sh-port) into the 256 buckets ip_vs_sh fills;
    ///   nftables' hash is not the kernel's hash_32, so which client lands in which bucket differs.
    ///   Quiesced servers (weight 0) own no bucket, so sh-fallback is what happens anyway.
    public static func plan(_ service: VirtualService, in table: DirectorTable, device: String?) throws(NFTRulesetError) -> NFTServicePlan? {
        let key = service.key
        func refuse(_ reason: String) -> NFTRulesetError { NFTRulesetError(service: key, reason) }
        let config = service.config
        if config.persistence != nil { throw refuse("persistence (-p) needs connection templates, which nftables does not keep") }
        if config.persistenceEngine != nil { throw refuse("persistence engines (--pe) need connection templates, which nftables does not keep") }
        if config.onePacket { throw refuse("one-packet scheduling (-o) has no nftables mapping") }
        switch config.scheduler {
        case .rr, .wrr, .sh: break
        case .lc, .wlc, .sed, .nq, .lblc, .lblcr, .fo, .ovf, .twos:
            throw refuse("the \(config.scheduler.rawValue) scheduler needs per-server connection counts, which nftables does not keep (use rr, wrr or sh)")
        case .dh, .mh:
            throw refuse("the \(config.scheduler.rawValue) scheduler has no nftables mapping (use rr, wrr or sh)")
        }
        if case let .address(_, vip) = key, vip.port == 0 { throw refuse("a port-zero service only matches with persistence") }
        if key.transport == .ip { throw refuse("only TCP, UDP and SCTP services can be forwarded") }
        let methods = Set(service.servers.map(\.config.forwarding))
        guard methods.count <= 1 else { throw refuse("its servers mix forwarding methods; nftables forwards a service one way") }
        for server in service.servers where server.config.upperThreshold != 0 || server.config.lowerThreshold != 0 {
            throw refuse("connection thresholds (-x/-y on \(server.endpoint)) need connection counts, which nftables does not keep")
        }
        let method: Method
        switch methods.first ?? .masquerade {
        case .masquerade: method = .nat
        case .route:
            method = .directRouting
            guard case let .address(_, vip) = key else { throw refuse("VS/DR in a netdev ingress hook cannot see firewall marks") }
            guard device != nil else { throw refuse("VS/DR needs the device its packets arrive on and leave by (--nft-device)") }
            for server in service.servers where server.endpoint.port != vip.port {
                throw refuse("VS/DR cannot change the port (\(server.endpoint) differs from \(vip.port))")
            }
        case .tunnel: throw refuse("VS/TUN (ipip) is not built by the nftables dataplane (use --dataplane ipvs)")
        case .local: throw refuse("local forwarding has no nftables mapping")
        }
        let ports = Set(service.servers.map { $0.endpoint.port == 0 })
        guard ports.count <= 1 else { throw refuse("some servers have port 0 and some do not") }
        let rewritesPort = !(ports.first ?? false)
        if rewritesPort == false, case .address = key { throw refuse("a real server of a port service needs a port") }

        let usable = service.servers.filter { $0.weight > 0 }
        guard !usable.isEmpty else { return nil }
        var slots: [Endpoint]
        let selector: Selector
        switch (config.scheduler, method) {
        case (.sh, _):
            let owners = SourceHashScheduler.bucketOwners(weights: usable.map(\.weight))
            slots = owners.map { usable[$0].endpoint }
            selector = .hash(clientPort: config.schedulerFlags.contains(.port), modulus: SourceHashScheduler.size)
        case (_, .nat):
            let cycle = cycleLength(usable, scheduler: config.scheduler)
            // Quiesced servers can take part in the kernel's first wrr pass: then only the ranges are exact.
            let quiesced = usable.count < service.servers.count
            if cycle <= maximumCycle, !quiesced, let picked = schedulerCycle(service, in: table, length: cycle) {
                slots = picked
                selector = .counter(modulus: cycle)
            } else {
                let ranges = try weightedRanges(usable, scheduler: config.scheduler, key: key)
                return NFTServicePlan(key: key, method: method, selector: .counter(modulus: ranges.modulus), slots: ranges.slots,
                                      rewritesPort: rewritesPort)
            }
        case (_, .directRouting):
            let ranges = try weightedRanges(usable, scheduler: config.scheduler, key: key)
            return NFTServicePlan(key: key, method: method, selector: .hash(clientPort: true, modulus: ranges.modulus),
                                  slots: ranges.slots, rewritesPort: rewritesPort)
        }
        return NFTServicePlan(key: key, method: method, selector: selector, slots: merged(slots), rewritesPort: rewritesPort)
    }

    /// rr: one pick per usable server; wrr: each server's weight over the weights' gcd.
    static func cycleLength(_ usable: [RealServer], scheduler: SchedulerName) -> Int {
        guard scheduler == .wrr else { return usable.count }
        let g = usable.map(\.weight).reduce(0, gcd)
        return usable.reduce(0) { total, server in total > maximumCycle ? total : total + server.weight / g }
    }

    /// The servers the core's scheduler picks for `length` new connections to the service, or nil if it
    /// drops one.
    static func schedulerCycle(_ service: VirtualService, in table: DirectorTable, length: Int) -> [Endpoint]? {
        var copy = table
        let client: IPAddress = service.key.family == .inet ? IPAddress("192.0.2.1")! : IPAddress("2001:db8::1")!
        var picks: [Endpoint] = []
        for i in 0..<length {
            let request: ConnectionRequest
            switch service.key {
            case let .address(proto, vip):
                request = ConnectionRequest(proto: proto, client: Endpoint(client, UInt16(1024 + i)), virtual: vip)
            case let .fwmark(mark, _):
                request = ConnectionRequest(proto: .tcp, client: Endpoint(client, UInt16(1024 + i)), virtual: Endpoint(client, 1), fwmark: mark)
            }
            guard let destination = copy.connect(request, at: DirectorTime.zero).destination else { return nil }
            picks.append(destination)
        }
        return picks
    }

    /// Each usable server a range of slots as long as its weight over the weights' gcd (rr: one slot each).
    static func weightedRanges(_ usable: [RealServer], scheduler: SchedulerName,
                               key: VirtualServiceKey) throws(NFTRulesetError) -> (modulus: Int, slots: [Slot]) {
        let weights = scheduler == .rr ? usable.map { _ in 1 } : usable.map(\.weight)
        let g = weights.reduce(0, gcd)
        var next = 0
        var slots: [Slot] = []
        for (server, weight) in zip(usable, weights) {
            let width = weight / g
            guard next + width - 1 <= Int(UInt32.max) else { throw NFTRulesetError(service: key, "the weights add up past 2^32") }
            slots.append(Slot(slots: next...(next + width - 1), server: server.endpoint))
            next += width
        }
        return (next, slots)
    }

    /// Consecutive slots of one server become one range.
    static func merged(_ servers: [Endpoint]) -> [Slot] {
        var slots: [Slot] = []
        for (i, server) in servers.enumerated() {
            if let last = slots.last, last.server == server, last.slots.upperBound == i - 1 {
                slots[slots.count - 1].slots = last.slots.lowerBound...i
            } else {
                slots.append(Slot(slots: i...i, server: server))
            }
        }
        return slots
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
