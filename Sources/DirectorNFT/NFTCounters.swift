public import Director
import Foundation
public import ShoalCore

/// Per-real-server counters for the nftables dataplane (pure: the rules that count, and the reading of
/// what nftables lists back), so `-L --stats`, metrics and the status page show real packets and bytes.
///
/// - VS/NAT: a `counters` chain on the forward hook of the inet table. For each address service and
///   server, rules match the connection's tuple (`ct original daddr/proto-dst` = the virtual service,
///   `ct reply saddr/proto-src` = the server it was sent to) and count into named counters: `…-in`
///   (direction original), `…-out` (direction reply) and `…-conn` (`ct state new`). Firewall-mark
///   services are not counted (no address to match the replies by).
/// - VS/DR: in the ingress chain, before the service's `fwd`, one rule per server recomputes the service's
///   `jhash` (the same expression and seed, so the same slot) and counts into `…-in` when the slot is one
///   of the server's. Replies do not pass the director (as with IPVS, OutPkts stay 0), and a stateless hook
///   sees no connections.
public struct NFTCounterPlan: Hashable, Sendable {
    /// Which traffic one named counter counts.
    public enum Kind: String, Hashable, Sendable { case inbound = "in", outbound = "out", connections = "conn" }

    /// One named counter: its name (the same in both tables' namespaces), the service and server it counts for.
    public struct Counter: Hashable, Sendable {
        public var name: String
        public var service: VirtualServiceKey
        public var server: Endpoint
        public var kind: Kind
    }

    /// Every counter, NAT's in the inet table and DR's in the netdev table.
    public var nat: [Counter] = []
    public var directRouting: [Counter] = []

    /// The counters `ruleset`'s plans get (server index within its plan, plan index within the ruleset).
    public init(_ plans: [NFTServicePlan]) {
        for (p, plan) in plans.enumerated() {
            for (s, server) in Self.servers(plan).enumerated() {
                func counter(_ kind: Kind) -> Counter {
                    Counter(name: "s\(p)-r\(s)-\(kind.rawValue)", service: plan.key, server: server, kind: kind)
                }
                switch (plan.method, plan.key, plan.selector) {
                case (.nat, .address, _):
                    nat += [counter(.inbound), counter(.outbound), counter(.connections)]
                case (.directRouting, _, .hash):
                    directRouting.append(counter(.inbound))
                default:
                    break
                }
            }
        }
    }

    /// A plan's servers, by address then port (so names do not depend on the scheduler's slot order).
    static func servers(_ plan: NFTServicePlan) -> [Endpoint] {
        func order(_ e: Endpoint) -> (UInt64, UInt64, UInt16) {
            switch e.address {
            case let .v4(v): return (0, UInt64(v), e.port)
            case let .v6(hi, lo): return (hi, lo, e.port)
            }
        }
        return Set(plan.slots.map(\.server)).sorted { order($0) < order($1) }
    }

    /// The stats of each (service, server) from counter readings by name (counters not read count zero).
    public func stats(_ readings: [String: NFTCounterReading]) -> [VirtualServiceKey: [Endpoint: TrafficStats]] {
        var out: [VirtualServiceKey: [Endpoint: TrafficStats]] = [:]
        for counter in nat + directRouting {
            let reading = readings[counter.name] ?? NFTCounterReading(packets: 0, bytes: 0)
            var stats = out[counter.service]?[counter.server] ?? TrafficStats()
            switch counter.kind {
            case .inbound: stats.inPackets += reading.packets; stats.inBytes += reading.bytes
            case .outbound: stats.outPackets += reading.packets; stats.outBytes += reading.bytes
            case .connections: stats.connections += reading.packets
            }
            out[counter.service, default: [:]][counter.server] = stats
        }
        return out
    }
}

/// One named counter as nftables lists it.
public struct NFTCounterReading: Hashable, Sendable, Decodable {
    public var packets: UInt64
    public var bytes: UInt64

    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }

    /// The named counters in `nft -j list table` output (other objects skipped); nil when it is not such JSON.
    public static func parse(_ json: String) -> [String: NFTCounterReading]? {
        struct Listing: Decodable { var nftables: [Item] }
        struct Item: Decodable { var counter: Named? }
        struct Named: Decodable { var name: String; var packets: UInt64; var bytes: UInt64 }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: Data(json.utf8)) else { return nil }
        var out: [String: NFTCounterReading] = [:]
        for item in listing.nftables {
            if let c = item.counter { out[c.name] = NFTCounterReading(packets: c.packets, bytes: c.bytes) }
        }
        return out
    }
}

extension NFTRuleset {
    /// The counters this ruleset's plans get (empty unless `options.counters`).
    public var counterPlan: NFTCounterPlan { options.counters ? NFTCounterPlan(plans) : NFTCounterPlan([]) }

    /// `list table` commands for the director's tables (read back for the counters).
    public static func listing(options: Options, family: String) -> String {
        document([.object([("list", .object([("table", .object([("family", .string(family)), ("name", .string(options.table))]))]))])])
    }

    /// The inet table's counter objects, its `counters` forward chain and the chain's rules.
    func natCounterCommands(_ counters: [NFTCounterPlan.Counter]) -> [NFTJSON] {
        guard !counters.isEmpty else { return [] }
        var commands = counters.map { add("counter", table("inet") + [("name", .string($0.name))]) }
        commands.append(add("chain", table("inet") + [("name", "counters"), ("type", "filter"), ("hook", "forward"),
                                                       ("prio", 0), ("policy", "accept")]))
        for counter in counters {
            guard case let .address(proto, vip) = counter.service else { continue }
            let ipFamily = vip.address.family == .inet ? "ip" : "ip6"
            var expr: [NFTJSON] = [
                Self.equal(Self.meta("l4proto"), .string(proto.nftName)),
                Self.equal(Self.ct("\(ipFamily) daddr", dir: "original"), .string(vip.address.description)),
                Self.equal(Self.ct("proto-dst", dir: "original"), .int(Int(vip.port))),
                Self.equal(Self.ct("\(ipFamily) saddr", dir: "reply"), .string(counter.server.address.description)),
                Self.equal(Self.ct("proto-src", dir: "reply"), .int(Int(counter.server.port == 0 ? vip.port : counter.server.port))),
            ]
            switch counter.kind {
            case .inbound: expr.append(Self.equal(Self.ct("direction"), "original"))
            case .outbound: expr.append(Self.equal(Self.ct("direction"), "reply"))
            case .connections: expr.append(.object([("match", .object([("op", "in"), ("left", Self.ct("state")), ("right", "new")]))]))
            }
            expr.append(.object([("counter", .string(counter.name))]))
            commands.append(add("rule", table("inet") + [("chain", "counters"), ("expr", .array(expr))]))
        }
        return commands
    }

    /// DR: the netdev table's counter objects.
    func directRoutingCounterObjects(_ counters: [NFTCounterPlan.Counter]) -> [NFTJSON] {
        counters.map { add("counter", table("netdev") + [("name", .string($0.name))]) }
    }

    /// DR: the rules counting `plan`'s packets per server, to run before its `fwd` rule.
    func directRoutingCounterRules(_ plan: NFTServicePlan, _ counters: [NFTCounterPlan.Counter], match: [NFTJSON]) -> [NFTJSON] {
        counters.filter { $0.service == plan.key }.compactMap { counter in
            let slots = plan.slots.filter { $0.server == counter.server }.map { Self.slotKey($0.slots) }
            guard !slots.isEmpty else { return nil }
            let expr = match + [Self.equal(selector(plan), .object([("set", .array(slots))])), .object([("counter", .string(counter.name))])]
            return add("rule", table("netdev") + [("chain", "ingress"), ("expr", .array(expr))])
        }
    }

    /// A conntrack key (`ip daddr`, `proto-dst`, `direction`, …), of one direction's tuple when `dir` is given.
    static func ct(_ key: String, dir: String? = nil) -> NFTJSON {
        var fields: [(String, NFTJSON)] = [("key", .string(key))]
        if let dir { fields.append(("dir", .string(dir))) }
        return .object([("ct", .object(fields))])
    }
}
