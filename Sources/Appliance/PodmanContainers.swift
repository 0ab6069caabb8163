/// The podman host's containers of a plan: every node a container of the node image joined to the node's
/// network namespace of the netns topology (`--network ns:/run/netns/NAME`), the state directory (and a store
/// or document root outside it) bind-mounted at the same path, so that configurations read the same as on the
/// other hosts. Pure: names and `podman` command lines.
public struct PodmanContainers: Sendable, Hashable {
    /// Every container of the cluster is named this + the node's name.
    public var prefix: String
    public var image: String
    public var topology: NetnsTopology
    /// Host paths mounted into every container at the same path.
    public var volumes: [String]

    /// Where the image keeps the shoal binary.
    public static let shoalInImage = "/usr/local/bin/shoal"
    /// Global podman options: runc (crun fails on this machine's cgroups), cgroupfs and file events (no systemd).
    public static let globalOptions = ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]

    /// Open files and processes per container: podman's defaults are above what this process may grant (runc then
    /// fails with EPERM setting them), so both are set below the machine's hard limits.
    public static let limits = ["--ulimit", "nofile=16384:16384", "--ulimit", "nproc=16384:16384"]

    /// The containers of a podman plan; nil for other host kinds.
    public init?(plan: AppliancePlan) {
        guard plan.hosts == .podman, let prefix = plan.containerPrefix, let image = plan.image, let topology = NetnsTopology(plan: plan) else {
            return nil
        }
        self.prefix = prefix
        self.image = image
        self.topology = topology
        var volumes = [plan.stateDirectory]
        for path in [plan.storeRoot, plan.docroot] where !volumes.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            volumes.append(path)
        }
        self.volumes = volumes
    }

    /// The container of node `name`.
    public func container(of name: String) -> String { prefix + name }

    /// Whether a container name belongs to this cluster.
    public func owns(_ container: String) -> Bool { !prefix.isEmpty && container.hasPrefix(prefix) }

    /// `podman run` in the foreground for a node whose command on the host is `arguments` (the host's shoal
    /// binary becomes the image's); the supervisor's SIGTERM reaches the node through podman's signal proxy.
    /// The director gets CAP_NET_ADMIN, which its proxy's and admin API's socket options need (as the kernel
    /// dataplanes would).
    public func run(_ name: String, kind: NodeKind, _ arguments: [String], podman: String, shoalOnHost: String) -> [String] {
        var command = arguments
        if command.first == shoalOnHost { command[0] = Self.shoalInImage }
        var run = [podman] + Self.globalOptions + ["run", "--rm", "--replace", "--name", container(of: name),
                                                    "--network", "ns:\(NetnsHost.directory)/\(topology.namespace(of: name))",
                                                    "--hostname", name, "--stop-timeout", "10"] + Self.limits
        if kind == .director { run += ["--cap-add", "NET_ADMIN"] }
        for volume in volumes { run += ["-v", "\(volume):\(volume)"] }
        return run + [image] + command
    }

    /// `podman rm -f` of the named containers.
    public func remove(_ names: [String], podman: String) -> [String] {
        [podman] + Self.globalOptions + ["rm", "-f", "-t", "2"] + names
    }
}
