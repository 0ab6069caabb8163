public import Director
import ShoalCore

/// The nftables ruleset that forwards a director table, as libnftables' JSON (pure: golden-tested).
///
/// One batch replaces the director's tables atomically: `inet NAME` with a `prerouting` nat chain
/// (VS/NAT) and, when some service uses VS/DR, `netdev NAME` with an `ingress` chain on the device.
/// Each service is one rule: match the virtual address and port (or the firewall mark), then `dnat`
/// (NAT) or `fwd` (DR) to a map from the selector's slot to the real server.
public struct NFTRuleset: Hashable, Sendable {
    /// The names and device the rules use.
    public struct Options: Hashable, Sendable {
        /// The tables' name (the same in the inet and netdev families).
        public var table: String
        /// VS/DR: the device packets for the virtual services arrive on and leave by to the real servers.
        public var device: String?
        /// The seed of every `jhash` (fixed, so a ruleset is reproducible).
        public var seed: Int
        /// Per-real-server counters (`NFTCounterPlan`): named counters and the rules that count into them.
        public var counters: Bool

        public init(table: String = "shoal", device: String? = nil, seed: Int = 0, counters: Bool = false) {
            self.table = table
            self.device = device
            self.seed = seed
            self.counters = counters
        }
    }

    public var options: Options
    public var plans: [NFTServicePlan]

    /// Plans every service of `table`, in the listing's order; throws for the first service nftables cannot carry.
    public init(_ table: DirectorTable, options: Options) throws(NFTRulesetError) {
        self.options = options
        var plans: [NFTServicePlan] = []
        for service in IPVSListing.sortedServices(table) {
            if let plan = try NFTServicePlan.plan(service, in: table, device: options.device) { plans.append(plan) }
        }
        self.plans = plans
    }

    /// The JSON batch: remove the director's tables (if there), then add them with their rules.
    public var json: String {
        var commands = removal
        let nat = plans.filter { $0.method == .nat }
        let dr = plans.filter { $0.method == .directRouting }
        let counters = counterPlan
        commands.append(addTable("inet"))
        commands.append(add("chain", table("inet") + [("name", "prerouting"), ("type", "nat"), ("hook", "prerouting"),
                                                       ("prio", -100), ("policy", "accept")]))
        for plan in nat { commands.append(add("rule", table("inet") + [("chain", "prerouting"), ("expr", .array(expressions(plan)))])) }
        commands += natCounterCommands(counters.nat)
        if let device = options.device, !dr.isEmpty {
            commands.append(addTable("netdev"))
            commands.append(add("chain", table("netdev") + [("name", "ingress"), ("type", "filter"), ("hook", "ingress"),
                                                             ("dev", .string(device)), ("prio", 0), ("policy", "accept")]))
            commands += directRoutingCounterObjects(counters.directRouting)
            for plan in dr {
                commands += directRoutingCounterRules(plan, counters.directRouting, match: match(plan))
                commands.append(add("rule", table("netdev") + [("chain", "ingress"), ("expr", .array(expressions(plan)))]))
            }
        }
        return Self.document(commands)
    }

    /// The JSON batch that removes the director's tables (nothing else); also right when they are absent.
    public static func removal(options: Options) -> String {
        document(NFTRuleset(options: options, plans: []).removal)
    }

    init(options: Options, plans: [NFTServicePlan]) {
        self.options = options
        self.plans = plans
    }

    /// `add table` first, so `delete table` succeeds when the table is not there.
    var removal: [NFTJSON] {
        ["inet", "netdev"].flatMap { family in
            [addTable(family), .object([("delete", .object([("table", .object(named(family)))]))])]
        }
    }

    /// One command per line, so goldens read well.
    static func document(_ commands: [NFTJSON]) -> String {
        "{\"nftables\":[\n" + commands.map(\.description).joined(separator: ",\n") + "\n]}\n"
    }

    func table(_ family: String) -> [(String, NFTJSON)] {
        [("family", .string(family)), ("table", .string(options.table))]
    }

    /// A table itself: its family and "name" (chains and rules name their table by "table").
    func named(_ family: String) -> [(String, NFTJSON)] {
        [("family", .string(family)), ("name", .string(options.table))]
    }

    func add(_ kind: String, _ fields: [(String, NFTJSON)]) -> NFTJSON {
        .object([("add", .object([(kind, .object(fields))]))])
    }

    func addTable(_ family: String) -> NFTJSON { add("table", named(family)) }

    // MARK: Expressions

    /// What picks the service's packets: the virtual address and port, or the firewall mark.
    func match(_ plan: NFTServicePlan) -> [NFTJSON] {
        let ipFamily = plan.key.family == .inet ? "ip" : "ip6"
        var match: [NFTJSON] = []
        switch plan.key {
        case let .address(proto, vip):
            match.append(Self.equal(Self.payload(ipFamily, "daddr"), .string(vip.address.description)))
            match.append(Self.equal(Self.payload(proto.nftName, "dport"), .int(Int(vip.port))))
        case let .fwmark(mark, family):
            match.append(Self.equal(Self.meta("nfproto"), .string(family == .inet ? "ipv4" : "ipv6")))
            match.append(Self.equal(Self.meta("mark"), .int(Int(mark))))
            if plan.rewritesPort {
                match.append(Self.equal(Self.meta("l4proto"), .object([("set", .array(["tcp", "udp", "sctp"]))])))
            }
        }
        return match
    }

    func expressions(_ plan: NFTServicePlan) -> [NFTJSON] {
        let ipFamily = plan.key.family == .inet ? "ip" : "ip6"
        let match = match(plan)
        let map = NFTJSON.object([("map", .object([("key", selector(plan)), ("data", .object([("set", .array(plan.slots.map { slot in
            .array([Self.slotKey(slot.slots), target(slot.server, plan)])
        }))]))]))])
        switch plan.method {
        case .nat:
            return match + [.object([("dnat", .object([("family", .string(ipFamily)), ("addr", map)]))])]
        case .directRouting:
            return match + [.object([("fwd", .object([("dev", .string(options.device ?? "")), ("family", .string(ipFamily)), ("addr", map)]))])]
        }
    }

    func selector(_ plan: NFTServicePlan) -> NFTJSON {
        let ipFamily = plan.key.family == .inet ? "ip" : "ip6"
        switch plan.selector {
        case let .counter(modulus):
            return .object([("numgen", .object([("mode", "inc"), ("mod", .int(modulus)), ("offset", 0)]))])
        case let .hash(clientPort, modulus):
            var expr = Self.payload(ipFamily, "saddr")
            if clientPort { expr = .object([("concat", .array([expr, Self.payload(plan.key.transport.nftName, "sport")]))]) }
            return .object([("jhash", .object([("mod", .int(modulus)), ("seed", .int(options.seed)), ("expr", expr)]))])
        }
    }

    func target(_ server: Endpoint, _ plan: NFTServicePlan) -> NFTJSON {
        guard plan.method == .nat, plan.rewritesPort else { return .string(server.address.description) }
        return .object([("concat", .array([.string(server.address.description), .int(Int(server.port))]))])
    }

    static func slotKey(_ range: ClosedRange<Int>) -> NFTJSON {
        range.count == 1 ? .int(range.lowerBound) : .object([("range", .array([.int(range.lowerBound), .int(range.upperBound)]))])
    }

    static func equal(_ left: NFTJSON, _ right: NFTJSON) -> NFTJSON {
        .object([("match", .object([("op", "=="), ("left", left), ("right", right)]))])
    }

    static func payload(_ proto: String, _ field: String) -> NFTJSON {
        .object([("payload", .object([("protocol", .string(proto)), ("field", .string(field))]))])
    }

    static func meta(_ key: String) -> NFTJSON { .object([("meta", .object([("key", .string(key))]))]) }
}

extension TransportProtocol {
    /// The protocol's name in nftables' payload expressions.
    var nftName: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        case .ip: "ip"
        }
    }
}
