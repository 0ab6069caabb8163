import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds and removes a cluster's network namespaces (the netns host) with iproute2's `ip`, from the CLI
/// (`up`, `scale`, `down`), which runs as root. Blocking: it waits for each `ip` in turn.
public struct NetnsHost: Sendable {
    public var ip: String
    /// Where `ip netns add` keeps its namespaces.
    public static let directory = "/run/netns"

    public init(ip: String = "/usr/sbin/ip") { self.ip = ip }

    /// A namespace command failed; names the command and what `ip` said.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Fails unless this process may make namespaces and `ip` is there.
    public func checkUsable() throws {
        guard getuid() == 0 else { throw Failure(description: "--hosts netns needs root (network namespaces); use --hosts loopback without it") }
        guard FileManager.default.isExecutableFile(atPath: ip) else {
            throw Failure(description: "--hosts netns needs \(ip): apt-get install -y iproute2")
        }
    }

    /// Makes the whole topology; on failure removes what it made and throws.
    public func create(_ topology: NetnsTopology, log: String) throws {
        do {
            try run(topology.setupCommands, log: log)
        } catch {
            remove(prefix: topology.prefix, log: log)
            throw error
        }
    }

    /// Adds hosts (joining nodes of `scale`) to an existing topology.
    public func add(_ hosts: [NetnsTopology.Host], to topology: NetnsTopology, log: String) throws {
        try run(hosts.flatMap(topology.commands(for:)), log: log)
    }

    /// Removes the namespaces named (their veths go with them).
    public func remove(_ namespaces: [String], log: String) {
        for namespace in namespaces where FileManager.default.fileExists(atPath: Self.directory + "/" + namespace) {
            _ = try? run([["netns", "del", namespace]], log: log)
        }
    }

    /// Removes every namespace whose name starts with `prefix`.
    public func remove(prefix: String, log: String) { remove(Self.namespaces(prefix: prefix), log: log) }

    /// The namespaces whose name starts with `prefix`.
    public static func namespaces(prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { NetnsTopology.owns($0, prefix: prefix) }.sorted()
    }

    func run(_ commands: [[String]], log: String) throws {
        for arguments in commands {
            let pid = try ChildProcess.spawn([ip] + arguments, logFile: log)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                let said = text.split(separator: "\n").suffix(3).joined(separator: "\n")
                throw Failure(description: "ip \(arguments.joined(separator: " ")) failed (\(ChildProcess.describe(status: status))): \(said)")
            }
        }
    }
}
