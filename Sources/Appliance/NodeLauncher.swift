/// The command line that runs each kind of node on the loopback host.
public struct NodeLauncher: Sendable, Hashable {
    /// The shoal executable (the supervisor's own).
    public var shoal: String
    public var slapd: String
    /// iproute2's `ip`, which starts nodes inside their namespaces on the netns host.
    public var ip: String
    /// podman, which runs nodes in containers on the podman host.
    public var podman: String

    public init(shoal: String, slapd: String = "/usr/sbin/slapd", ip: String = "/usr/sbin/ip", podman: String = "/usr/bin/podman") {
        self.shoal = shoal
        self.slapd = slapd
        self.ip = ip
        self.podman = podman
    }

    /// The program and arguments of `node`.
    public func arguments(_ node: PlannedNode, layout: ApplianceLayout) -> [String] {
        let config = layout.configFile(node.name)
        switch node.kind {
        case .director: return [shoal, "director", "--config", config]
        case .mail: return [shoal, "mail-node", "--config", config]
        case .web, .origin: return [shoal, "web-node", "--config", config]
        case .cache: return [shoal, "cache-node", "--config", config]
        case .ldap:
            return [slapd, "-f", layout.ldapDirectory + "/slapd.conf", "-h", "ldap://\(node.endpoint("ldap") ?? node.address)/", "-d", "0"]
        }
    }

    /// Which nodes stop first: the director (no new connections), then the pools, then the shared tier.
    public static func stopRank(_ kind: NodeKind) -> Int {
        switch kind {
        case .director: return 0
        case .mail, .web, .cache: return 1
        case .ldap, .origin: return 2
        }
    }
}
