import Appliance
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which appliance a command acts on: `--name` under the state root, or `--state DIR`.
struct ApplianceSelection: ParsableArguments {
    @Option(name: .long, help: "The appliance's name (default: the only one running under the state root).")
    var name: String?

    @Option(name: .long, help: ArgumentHelp("The appliance's state directory (default: $SHOAL_STATE_DIR, $XDG_RUNTIME_DIR/shoal or /tmp/shoal-UID, then NAME).", valueName: "dir"))
    var state: String?

    func control() throws -> ApplianceControl {
        ApplianceControl(layout: try ApplianceControl.locate(name: name, state: state), shoal: shoalExecutable())
    }
}

/// The running shoal binary's absolute path (what the supervisor and the nodes run).
func shoalExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
}

/// Runs a command body; errors print `shoal: message` and exit 2.
func applianceCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        try exitWithError(error)
    }
}

extension Shoal {
    /// `shoal plan SPEC`: what would run where, without starting anything.
    struct PlanCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show what an appliance spec runs where, without starting anything.")

        @Argument(help: "The appliance spec (YAML), e.g. Appliances/mail-cluster.yaml.")
        var spec: String

        @Option(name: .long, help: "Where the nodes run: loopback (default), netns or podman.", transform: parseHostKind)
        var hosts: HostKind = .loopback

        @Option(name: .long, help: ArgumentHelp("The state directory (default: under the state root, by the appliance's name).", valueName: "dir"))
        var state: String?

        func run() async throws {
            try await applianceCommand {
                let parsed = try ApplianceSpec.load(path: spec)
                let layout = try ApplianceControl.locate(name: parsed.name, state: state)
                print(try AppliancePlan.make(parsed, hosts: hosts, stateDirectory: layout.root).text, terminator: "")
            }
        }
    }

    /// `shoal up SPEC [--wait]`: starts the appliance on the loopback host under a detached supervisor.
    struct UpCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up", abstract: "Start an appliance: every node supervised on its own address.",
            discussion: "The supervisor runs detached; stop it all with shoal down. State (configs, logs, pids, the shared tier) lives in one directory.")

        @Argument(help: "The appliance spec (YAML), e.g. Appliances/mail-cluster.yaml.")
        var spec: String

        @Option(name: .long, help: "Where the nodes run: loopback (default), netns (root: a network namespace per node on a bridge) or podman (root: a container per node in those namespaces).", transform: parseHostKind)
        var hosts: HostKind = .loopback

        @Option(name: .long, help: ArgumentHelp("netns: the cluster's namespaces are PREFIX + the appliance's name + '-' + the node.", valueName: "prefix"))
        var netnsPrefix = "shoal-"

        @Option(name: .long, help: ArgumentHelp("podman: the cluster's containers are PREFIX + the appliance's name + '-' + the node.", valueName: "prefix"))
        var containerPrefix = "shoal-"

        @Option(name: .long, help: ArgumentHelp("podman: the node image's repository (tagged by the binary's content hash; built when missing).", valueName: "name"))
        var image = "localhost/shoal-node"

        @Flag(name: .long, help: "Return once every node is healthy by the director's checks.")
        var wait = false

        @Option(name: .long, help: "Seconds --wait waits.")
        var timeout: Double = 90

        @Option(name: .long, help: ArgumentHelp("The state directory (default: under the state root, by the appliance's name).", valueName: "dir"))
        var state: String?

        func run() async throws {
            try await applianceCommand {
                let started = Date()
                let parsed = try ApplianceSpec.load(path: spec)
                let control = ApplianceControl(layout: try ApplianceControl.locate(name: parsed.name, state: state), shoal: shoalExecutable())
                let plan = try await control.up(parsed, hosts: hosts, wait: wait, timeout: timeout, namespacePrefix: netnsPrefix,
                                                containerPrefix: containerPrefix, imageRepository: image)
                let elapsed = Date().timeIntervalSince(started)
                print("\(plan.name) is up\(wait ? String(format: " and healthy in %.2f s", elapsed) : "") (state \(plan.stateDirectory))")
                for service in plan.services { print("  \(service.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(service.endpoint)") }
                if let admin = plan.director.endpoint("admin") { print("  \("admin".padding(toLength: 12, withPad: " ", startingAt: 0)) http://\(admin)/") }
                if let webmail = plan.webmailURL { print("  webmail      \(webmail) (admin site: \(plan.adminSiteURLs.first ?? "-") and the other mail nodes)") }
                if let topology = NetnsTopology(plan: plan) { print("  clients      ip netns exec \(topology.client) ...") }
                if let image = plan.image { print("  image        \(image)") }
            }
        }
    }

    /// `shoal down`: stops every process of the appliance and removes its state.
    struct DownCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down", abstract: "Stop an appliance: every node, the supervisor, and leftovers of a killed supervisor.")

        @OptionGroup var selection: ApplianceSelection

        @Flag(name: .long, help: "Keep the state directory (logs and the shared tier).")
        var keep = false

        func run() async throws {
            try await applianceCommand {
                let control = try selection.control()
                let stopped = try await control.down(keep: keep)
                print("\(control.layout.root): stopped \(stopped.count) process\(stopped.count == 1 ? "" : "es")\(keep ? "; state kept" : "; state removed")")
            }
        }
    }

    /// `shoal status [--json]`: VIPs, nodes, processes and health.
    struct StatusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show an appliance's virtual services, nodes and health.")

        @OptionGroup var selection: ApplianceSelection

        @Flag(name: .long, help: "Print JSON (VIPs, node addresses, ports, pids, health).")
        var json = false

        func run() async throws {
            try await applianceCommand {
                let status = try selection.control().status()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    encoder.keyEncodingStrategy = .convertToSnakeCase
                    print(String(decoding: try encoder.encode(status), as: UTF8.self))
                } else {
                    print(status.text, terminator: "")
                }
            }
        }
    }

    /// `shoal scale POOL N`: grows or shrinks a pool of a running appliance.
    struct ScaleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scale", abstract: "Set a pool's number of nodes; removed nodes are drained first.")

        @OptionGroup var selection: ApplianceSelection

        @Argument(help: "The pool (e.g. mail).")
        var pool: String

        @Argument(help: "Its number of nodes.")
        var count: Int

        @Option(name: .long, help: "Seconds to wait for drained connections to finish.")
        var drainTimeout: Double = 60

        func run() async throws {
            try await applianceCommand {
                let plan = try await selection.control().scale(pool: pool, to: count, drainTimeout: drainTimeout)
                print("\(pool): \(plan.members(of: pool).map(\.name).joined(separator: " "))")
            }
        }
    }

    /// `shoal logs NODE [-f]`: a node's output (or the supervisor's).
    struct LogsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a node's log (NODE may be 'supervisor').")

        @OptionGroup var selection: ApplianceSelection

        @Argument(help: "The node, e.g. mail-1, director, directory, supervisor.")
        var node: String

        @Flag(name: .shortAndLong, help: "Keep printing what the node writes.")
        var follow = false

        func run() async throws {
            try await applianceCommand {
                let control = try selection.control()
                let plan = try AppliancePlan.read(control.layout)
                guard node == "supervisor" || plan.node(node) != nil else {
                    throw ApplianceControl.Failure("no node named '\(node)' (nodes: \((plan.nodes.map(\.name) + ["supervisor"]).joined(separator: ", ")))")
                }
                let path = control.layout.logFile(node)
                guard let handle = FileHandle(forReadingAtPath: path) else { throw ApplianceControl.Failure("\(path): no log yet") }
                defer { try? handle.close() }
                while true {
                    let data = handle.readDataToEndOfFile()
                    if !data.isEmpty { FileHandle.standardOutput.write(data) }
                    guard follow else { return }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    /// `shoal supervise --state DIR`: the supervisor `shoal up` starts (not for direct use).
    struct SuperviseCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "supervise", abstract: "Run an appliance's supervisor (started by shoal up).",
                                                        shouldDisplay: false)

        @Option(name: .long, help: "The state directory.")
        var state: String

        func run() throws {
            let supervisor: ApplianceSupervisor
            do {
                supervisor = try ApplianceSupervisor(layout: ApplianceLayout(root: state), launcher: NodeLauncher(shoal: shoalExecutable()))
            } catch {
                try exitWithError(error)
            }
            throw ExitCode(supervisor.run())
        }
    }
}

/// `--hosts loopback|netns|podman`.
func parseHostKind(_ raw: String) throws -> HostKind {
    guard let kind = HostKind(rawValue: raw) else {
        throw ValidationError("--hosts: '\(raw)' is not one of: \(HostKind.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return kind
}
