import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `shoal up|down|status|scale` do to an appliance on its state directory, on the loopback, netns or podman host.
public struct ApplianceControl: Sendable {
    public var layout: ApplianceLayout
    /// The shoal executable the supervisor and the nodes run.
    public var shoal: String

    public init(layout: ApplianceLayout, shoal: String) {
        self.layout = layout
        self.shoal = shoal
    }

    /// A command could not do what was asked; the message says why.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: Where appliances live

    /// `$SHOAL_STATE_DIR`, else `$XDG_RUNTIME_DIR/shoal`, else `/tmp/shoal-UID`: one directory per appliance below.
    public static func stateRoot(_ environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let explicit = environment["SHOAL_STATE_DIR"], !explicit.isEmpty { return explicit }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return runtime + "/shoal" }
        return "/tmp/shoal-\(getuid())"
    }

    /// The appliance `name` (or the only one there is) under the state root, or `--state DIR` itself.
    public static func locate(name: String?, state: String?, environment: [String: String]? = nil) throws -> ApplianceLayout {
        if let state { return ApplianceLayout(root: state) }
        let root = stateRoot(environment)
        if let name { return ApplianceLayout(root: root + "/" + name) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/plan.json") }
        guard names.count == 1 else {
            throw Failure(names.isEmpty ? "no appliance under \(root) (start one with shoal up SPEC)"
                          : "several appliances under \(root): \(names.joined(separator: ", ")); name one with --name")
        }
        return ApplianceLayout(root: root + "/" + names[0])
    }

    // MARK: Processes

    /// The supervisor's pid when it runs.
    public var supervisorPid: Int32? {
        let text = (try? String(contentsOfFile: layout.supervisorPidFile, encoding: .utf8)) ?? ""
        let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ApplianceState.read(layout)?.supervisorPid ?? 0
        return ChildProcess.isAlive(pid, marker: layout.root) ? pid : nil
    }

    /// Every live process of this appliance: those `state.json` names and any whose command line names the state
    /// directory (children of a supervisor that was killed).
    public var leftoverProcesses: [Int32] {
        let recorded = (ApplianceState.read(layout)?.nodes ?? []).compactMap(\.pid).filter { ChildProcess.isAlive($0, marker: layout.root + "/") }
        return Array(Set(recorded + ChildProcess.processes(where: isOurs))).sorted()
    }

    /// A node names a file under the state directory; the supervisor is `shoal supervise --state DIR`. (A user's
    /// `shoal status --state DIR` is neither.)
    func isOurs(_ commandLine: String) -> Bool {
        commandLine.contains(layout.root + "/") || commandLine.hasSuffix(" supervise --state " + layout.root)
    }

    // MARK: up

    /// Plans `spec`, lays out the state directory and starts the supervisor; with `wait`, returns once every node
    /// is healthy (or throws naming the ones that are not after `timeout` seconds).
    /// On the netns host the cluster's namespaces are made first (their prefix recorded, so that `down` and the
    /// next `up` find them whatever happened to this process) and removed again when `up` fails.
    /// On the podman host the node image is built first when none has the binary's content hash, and every node
    /// runs in a container joined to its namespace.
    public func up(_ spec: ApplianceSpec, hosts: HostKind, wait: Bool, timeout: Double = 90,
                   namespacePrefix: String = "shoal-", containerPrefix: String = "shoal-",
                   imageRepository: String = "localhost/shoal-node") async throws -> AppliancePlan {
        let netns = NetnsHost()
        let podman = PodmanHost()
        if hosts != .loopback { try netns.checkUsable() }
        if hosts == .podman { try podman.checkUsable() }
        if let pid = supervisorPid { throw Failure("\(spec.name) is already up (supervisor pid \(pid)); shoal down --name \(spec.name) first") }
        let stale = leftoverProcesses
        if !stale.isEmpty { ChildProcess.terminate(stale, grace: 5) }
        removeNamespaces()
        for leftover in [layout.nodesDirectory, layout.logDirectory, layout.planFile, layout.stateFile, layout.supervisorPidFile, layout.specFile] {
            try? FileManager.default.removeItem(atPath: leftover)
        }
        try FileManager.default.createDirectory(atPath: layout.logDirectory, withIntermediateDirectories: true)
        var plan = try AppliancePlan.make(spec, hosts: hosts, stateDirectory: layout.root, namespacePrefix: namespacePrefix)
        if hosts == .podman {
            let prefix = containerPrefix + spec.name + "-"
            try (prefix + "\n").write(toFile: layout.containerPrefixFile, atomically: true, encoding: .utf8)
            podman.removeContainers(prefix: prefix, log: layout.logFile("podman"))
            plan.containerPrefix = prefix
            plan.image = try podman.ensureImage(repository: imageRepository, shoal: shoal, log: layout.logFile("image"))
        }
        let topology = NetnsTopology(plan: plan)
        if let topology {
            try (topology.prefix + "\n").write(toFile: layout.namespacePrefixFile, atomically: true, encoding: .utf8)
            netns.remove(prefix: topology.prefix, log: layout.logFile("netns"))
            try netns.create(topology, log: layout.logFile("netns"))
        }
        do {
            plan = try plan.resolvingFreePorts { try AdminProbe.freePort(on: $0, namespace: topology?.namespace(holding: $0)) }
            try checkPrograms(plan)
            try await ApplianceSetup(spec: spec, plan: plan).prepare()
            try FileManager.default.copyItem(atPath: spec.file, toPath: layout.specFile)
            try plan.write(layout)
        } catch {
            removeNamespaces()
            throw error
        }
        let pid = try ChildProcess.spawn([shoal, "supervise", "--state", layout.root], logFile: layout.logFile("supervisor"), newSession: true)
        let deadline = Date().addingTimeInterval(10)
        while supervisorPid == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || Date() >= deadline {
                throw Failure("the supervisor did not start (\(ChildProcess.describe(status: status))):\n\(tail(layout.logFile("supervisor")))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        if wait { try await waitHealthy(timeout: timeout) }
        return plan
    }

    /// The namespace prefix a netns `up` recorded, nil when there is none.
    public var recordedNamespacePrefix: String? {
        let text = (try? String(contentsOfFile: layout.namespacePrefixFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return text?.isEmpty == false ? text : nil
    }

    /// The container prefix a podman `up` recorded, nil when there is none.
    public var recordedContainerPrefix: String? {
        let text = (try? String(contentsOfFile: layout.containerPrefixFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return text?.isEmpty == false ? text : nil
    }

    /// The cluster's containers still present (podman host).
    public var leftoverContainers: [String] { recordedContainerPrefix.map { PodmanHost().containers(prefix: $0) } ?? [] }

    /// The cluster's namespaces still present (netns host).
    public var leftoverNamespaces: [String] { recordedNamespacePrefix.map { NetnsHost.namespaces(prefix: $0) } ?? [] }

    /// Removes every namespace of the recorded prefix (processes in them must be gone first).
    func removeNamespaces() {
        guard let prefix = recordedNamespacePrefix else { return }
        try? FileManager.default.createDirectory(atPath: layout.logDirectory, withIntermediateDirectories: true)
        NetnsHost().remove(prefix: prefix, log: layout.logFile("netns"))
    }

    /// Where probes of `plan`'s addresses are made from: the client namespace on the netns host.
    func probeNamespace(_ plan: AppliancePlan) -> String? { NetnsTopology(plan: plan)?.client }

    /// Fails before anything starts when a program a node needs is missing.
    func checkPrograms(_ plan: AppliancePlan) throws {
        if plan.nodes.contains(where: { $0.kind == .ldap }), !FileManager.default.isExecutableFile(atPath: "/usr/sbin/slapd") {
            throw Failure("the ldap directory tier needs /usr/sbin/slapd: apt-get install -y slapd ldap-utils (or use directory: {kind: sqlite})")
        }
        if plan.nodes.contains(where: { $0.kind == .cache }) {
            let pid = try ChildProcess.spawn([shoal, "cache-node", "--help"], logFile: "/dev/null")
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else {
                throw Failure("cache node not built yet: \(shoal) has no cache-node subcommand, so pools of role cache cannot start "
                    + "(shoal plan and shoal render still show them)")
            }
        }
    }

    /// Polls `status` until every node is healthy.
    public func waitHealthy(timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let current = try status()
            if current.healthy { return }
            guard current.supervisor.running else { throw Failure("the supervisor stopped:\n\(tail(layout.logFile("supervisor")))") }
            if Date() >= deadline {
                let sick = current.nodes.filter { !$0.healthy }
                let details = sick.map { "\($0.name) (\($0.running ? "running" : "not running"), \($0.lastExit ?? "no exit")):\n\(tail(layout.logFile($0.name)))" }
                throw Failure("not healthy after \(Int(timeout)) s: \(sick.map(\.name).joined(separator: ", "))\n\(details.joined(separator: "\n"))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: status

    /// The appliance's state: processes from the supervisor, health from the director's admin API.
    public func status() throws -> ApplianceStatus {
        let plan = try AppliancePlan.read(layout)
        let supervisor = supervisorPid
        var view: ApplianceStatus.DirectorView?
        let director = plan.director
        if supervisor != nil, let port = director.port("admin"),
           let json = try? AdminProbe.json(host: director.address, port: port, path: "/api/services", namespace: probeNamespace(plan)) {
            view = ApplianceStatus.DirectorView(json: json)
        }
        return ApplianceStatus.make(plan: plan, state: ApplianceState.read(layout), supervisorRunning: supervisor != nil, director: view) { node in
            guard let port = node.listeners.first?.port else { return false }
            return AdminProbe.canConnect(node.address, port, namespace: probeNamespace(plan))
        }
    }

    // MARK: scale

    /// Sets pool `pool` to `count` nodes: new nodes start and join the director's table once their check passes;
    /// removed nodes are drained (weight 0, their connections allowed to finish) before they stop.
    public func scale(pool: String, to count: Int, drainTimeout: Double = 60, wait: Bool = true, timeout: Double = 90) async throws -> AppliancePlan {
        guard let supervisor = supervisorPid else { throw Failure("\(layout.root): the appliance is not running") }
        let current = try AppliancePlan.read(layout)
        var spec = try ApplianceSpec.load(path: layout.specFile)
        spec.name = current.name
        var replicas: [String: Int] = [:]
        for known in spec.pools { replicas[known.name] = current.members(of: known.name).count }
        replicas[pool] = count
        let next = current.replacingPools(with: try AppliancePlan.make(spec, hosts: current.hosts, stateDirectory: layout.root, replicas: replicas))
        let leaving = current.nodes.filter { old in old.pool != nil && next.node(old.name) == nil }
        let joining = next.nodes.filter { new in new.pool != nil && current.node(new.name) == nil }
        if !leaving.isEmpty { try await drain(leaving, plan: current, timeout: drainTimeout) }
        let topology = NetnsTopology(plan: next)
        if let topology {
            let joiningNamespaces = Set(joining.map { topology.namespace(of: $0.name) })
            try NetnsHost().add(topology.hosts.filter { joiningNamespaces.contains($0.namespace) }, to: topology, log: layout.logFile("netns"))
        }
        let setup = ApplianceSetup(spec: spec, plan: next)
        try setup.writeConfigs(for: joining + [next.director])
        try next.write(layout)
        kill(supervisor, SIGHUP)
        if wait {
            // The supervisor has the new plan once state.json lists exactly its nodes.
            let names = Set(next.nodes.map(\.name))
            let deadline = Date().addingTimeInterval(timeout)
            while Set(ApplianceState.read(layout)?.nodes.filter { $0.lastExit != "stopping" }.map(\.name) ?? []) != names
                    || !(ApplianceState.read(layout)?.nodes.allSatisfy { $0.lastExit != "stopping" } ?? false) {
                guard Date() < deadline else { throw Failure("the supervisor did not take up the new plan within \(Int(timeout)) s") }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await waitHealthy(timeout: timeout)
            if let topology { NetnsHost().remove(leaving.map { topology.namespace(of: $0.name) }, log: layout.logFile("netns")) }
        }
        return next
    }

    /// Weight 0 for `nodes` in every service, then waits until the director counts no active connection to them.
    func drain(_ nodes: [PlannedNode], plan: AppliancePlan, timeout: Double) async throws {
        let director = plan.director
        guard let port = director.port("admin") else { return }
        let addresses = Set(nodes.map(\.address))
        for service in plan.services {
            for node in nodes where node.pool == service.pool {
                let path = "/api/services/tcp-\(service.address)-\(service.port)/servers/\(node.address)-\(service.nodePort)/drain"
                let (status, body) = try AdminProbe.request("POST", host: director.address, port: port, path: path, namespace: probeNamespace(plan))
                guard status == 200 || status == 404 else {
                    throw Failure("draining \(node.name) in \(service.name): HTTP \(status) \(String(decoding: body.prefix(200), as: UTF8.self))")
                }
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let view = ApplianceStatus.DirectorView(json: try AdminProbe.json(host: director.address, port: port, path: "/api/services",
                                                                              namespace: probeNamespace(plan)))
            let active = view.servers.values.flatMap { $0 }.filter { entry in
                addresses.contains(String(entry.key[..<(entry.key.lastIndex(of: ":") ?? entry.key.endIndex)])) && entry.value.active > 0
            }
            if active.isEmpty || Date() >= deadline { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: down

    /// Stops the supervisor (which stops every node), then any process of this appliance left over (a supervisor
    /// that was killed leaves its nodes running), then the cluster's network namespaces (netns host); removes the
    /// state directory unless `keep`. Returns what was stopped.
    @discardableResult
    public func down(keep: Bool = false) async throws -> [Int32] {
        var stopped: [Int32] = []
        if let pid = supervisorPid {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(60)
            while ChildProcess.isAlive(pid) && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if ChildProcess.isAlive(pid) { kill(pid, SIGKILL) }
            stopped.append(pid)
        }
        let leftovers = leftoverProcesses
        ChildProcess.terminate(leftovers, grace: 10)
        stopped += leftovers
        let remaining = leftoverProcesses
        guard remaining.isEmpty else { throw Failure("processes still running after down: \(remaining)") }
        if let prefix = recordedContainerPrefix {
            PodmanHost().removeContainers(prefix: prefix, log: layout.logFile("podman"))
            let containers = leftoverContainers
            guard containers.isEmpty else { throw Failure("containers still there after down: \(containers.joined(separator: ", "))") }
        }
        removeNamespaces()
        let namespaces = leftoverNamespaces
        guard namespaces.isEmpty else { throw Failure("network namespaces still there after down: \(namespaces.joined(separator: ", "))") }
        if keep {
            for file in [layout.planFile, layout.stateFile, layout.supervisorPidFile, layout.namespacePrefixFile, layout.containerPrefixFile] {
                try? FileManager.default.removeItem(atPath: file)
            }
        } else {
            try? FileManager.default.removeItem(atPath: layout.root)
        }
        return stopped
    }

    /// The last lines of a log file.
    public func tail(_ path: String, lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).map { "    " + $0 }.joined(separator: "\n")
    }
}
