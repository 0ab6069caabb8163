/// The netns host's topology of a plan: every node in a network namespace of its own, and one for clients, each
/// with a veth `eth0` (its plan address, /24) whose peer sits on the bridge `br0` of the cluster's bridge
/// namespace; the director's namespace holds the VIPs. Pure: the names and the `ip` commands that build it.
public struct NetnsTopology: Sendable, Hashable {
    /// One namespace on the bridge.
    public struct Host: Sendable, Hashable {
        public var namespace: String
        public var address: String
        /// The bridge side of its veth (in the bridge namespace): `v` and the address's host number.
        public var bridgePort: String
    }

    /// Every namespace of the cluster starts with this (`--netns-prefix` + the appliance's name + `-`).
    public var prefix: String
    /// The client namespace's address.
    public var clientAddress: String
    public var hosts: [Host]

    /// The client namespace's host number: above every pool's block (the last pool ends at .249).
    public static let clientHostNumber = 250

    /// The topology of a netns or podman plan (podman's containers join these namespaces); nil on the loopback host.
    public init?(plan: AppliancePlan) {
        guard plan.hosts != .loopback, let prefix = plan.namespacePrefix else { return nil }
        self.init(prefix: prefix, nodes: plan.nodes, network: plan.network)
    }

    init(prefix: String, nodes: [PlannedNode], network: String) {
        self.prefix = prefix
        let base = network.split(separator: "/").first.map { $0.split(separator: ".").prefix(3).joined(separator: ".") } ?? "10.0.0"
        clientAddress = "\(base).\(Self.clientHostNumber)"
        hosts = nodes.map { Host(namespace: prefix + $0.name, address: $0.address, bridgePort: Self.port(for: $0.address)) }
            + [Host(namespace: prefix + "client", address: clientAddress, bridgePort: Self.port(for: clientAddress))]
    }

    /// The bridge namespace.
    public var bridge: String { prefix + "br" }
    /// The namespace clients (and `shoal status`) reach the VIPs from.
    public var client: String { prefix + "client" }
    /// Every namespace of the cluster, the bridge's last.
    public var namespaces: [String] { hosts.map(\.namespace) + [bridge] }

    /// The namespace of node `name`.
    public func namespace(of name: String) -> String { prefix + name }

    /// The namespace holding `address`, nil when none does.
    public func namespace(holding address: String) -> String? { hosts.first { $0.address == address }?.namespace }

    static func port(for address: String) -> String { "v" + (address.split(separator: ".").last.map(String.init) ?? "0") }

    /// `ip` arguments that make the bridge namespace and its bridge.
    public var bridgeCommands: [[String]] {
        [["netns", "add", bridge], ["-n", bridge, "link", "set", "lo", "up"],
         ["-n", bridge, "link", "add", "br0", "type", "bridge"], ["-n", bridge, "link", "set", "br0", "up"]]
    }

    /// `ip` arguments that make `host`'s namespace and wire it to the bridge.
    public func commands(for host: Host) -> [[String]] {
        [["netns", "add", host.namespace], ["-n", host.namespace, "link", "set", "lo", "up"],
         ["-n", bridge, "link", "add", host.bridgePort, "type", "veth", "peer", "name", "eth0", "netns", host.namespace],
         ["-n", bridge, "link", "set", host.bridgePort, "master", "br0", "up"],
         ["-n", host.namespace, "addr", "add", host.address + "/24", "dev", "eth0"],
         ["-n", host.namespace, "link", "set", "eth0", "up"]]
    }

    /// Everything: the bridge, then every host.
    public var setupCommands: [[String]] { bridgeCommands + hosts.flatMap(commands(for:)) }

    /// `arguments` run inside node `name`'s namespace (`ip netns exec` execs the program, so its pid and command
    /// line stay the node's own).
    public func wrap(_ name: String, _ arguments: [String], ip: String) -> [String] {
        [ip, "netns", "exec", namespace(of: name)] + arguments
    }

    /// Whether a namespace name (from `ip netns list` or /run/netns) belongs to this cluster.
    public func owns(_ namespace: String) -> Bool { Self.owns(namespace, prefix: prefix) }

    static func owns(_ namespace: String, prefix: String) -> Bool { !prefix.isEmpty && namespace.hasPrefix(prefix) }
}
