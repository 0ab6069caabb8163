import Foundation
import ShoalTestFixtures

/// Three hosts on one Ethernet segment, built of network namespaces the test owns: `a` (10.220.0.1, fd00:220::1),
/// `b` (.2, ::2) and the client `c` (.3, ::3), their veths on a bridge in a fourth namespace. Every name starts
/// with `shfo-`; `destroy()` removes them all (and with them the veths), whatever state the test left.
final class NamespaceLab: @unchecked Sendable {
    static let vip4 = "10.220.0.100"
    static let vip6 = "fd00:220::100"

    let tag: String
    let ip: String
    let directory: String
    var names: [String] { [bridge, a, b, c] }
    var bridge: String { "shfo-\(tag)-br" }
    var a: String { "shfo-\(tag)-a" }
    var b: String { "shfo-\(tag)-b" }
    var c: String { "shfo-\(tag)-c" }
    private var processes: [TestProcess] = []
    /// Pid files of children our processes forked (keepalived's VRRP process), killed at teardown.
    var childPidFiles: [String] = []

    private init(tag: String, ip: String, directory: String) {
        self.tag = tag
        self.ip = ip
        self.directory = directory
    }

    /// Builds the namespaces; on any failure removes what was made and throws.
    static func create() async throws -> NamespaceLab {
        let ip = try requiredTool("ip", package: "iproute2")
        let tag = "\(getpid() % 100_000)\(UInt16.random(in: 0...999))"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shfo-\(tag)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lab = NamespaceLab(tag: tag, ip: ip, directory: directory)
        do {
            try await lab.build()
        } catch {
            await lab.destroy()
            throw error
        }
        return lab
    }

    private func build() async throws {
        for name in names { try await run(ip, ["netns", "add", name]) }
        for name in names { try await run(ip, ["-n", name, "link", "set", "lo", "up"]) }
        try await run(ip, ["-n", bridge, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"])
        try await run(ip, ["-n", bridge, "link", "set", "br0", "up"])
        for (index, host) in [a, b, c].enumerated() {
            try await inside(host, ["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
            let port = "p\(index)"
            try await run(ip, ["-n", bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host])
            try await run(ip, ["-n", bridge, "link", "set", port, "master", "br0", "up"])
            try await run(ip, ["-n", host, "addr", "add", "10.220.0.\(index + 1)/24", "dev", "eth0"])
            try await run(ip, ["-n", host, "addr", "add", "fd00:220::\(index + 1)/64", "dev", "eth0", "nodad"])
            try await run(ip, ["-n", host, "link", "set", "eth0", "up"])
        }
    }

    /// Kills every process the lab started (by pid), removes the namespaces and the scratch directory.
    func destroy() async {
        for file in childPidFiles {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  pid > 1, (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("keepalived") == true else { continue }
            kill(pid, SIGKILL)
        }
        for process in processes { process.kill() }
        processes = []
        for name in names { _ = try? await TestProcess.run(ip, ["netns", "del", name], timeout: 30) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String], timeout: Double = 30) async throws -> TestProcess.Result {
        try await TestProcess.run(executable, arguments, timeout: timeout).succeeded()
    }

    /// Runs a command inside a namespace to completion (exit status checked).
    @discardableResult
    func inside(_ namespace: String, _ arguments: [String], timeout: Double = 30) async throws -> TestProcess.Result {
        try await run(ip, ["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    /// Starts a long-running program inside a namespace (`ip netns exec` execs it: the pid is the program's).
    func start(_ namespace: String, _ arguments: [String], name: String) throws -> TestProcess {
        let process = try TestProcess(ip, ["netns", "exec", namespace] + arguments, name: name, logDirectory: directory)
        processes.append(process)
        return process
    }

    /// The addresses on a host's eth0 (`ip -br addr`).
    func addresses(_ namespace: String) async -> String {
        (try? await TestProcess.run(ip, ["-n", namespace, "-br", "addr", "show", "dev", "eth0"], timeout: 10).stdout) ?? ""
    }

    /// Removes an address from a host, as the host's death would.
    func removeAddress(_ namespace: String, _ address: String) async {
        _ = try? await TestProcess.run(ip, ["-n", namespace, "addr", "del", address, "dev", "eth0"], timeout: 10)
    }

    /// What the client gets from `http://VIP/` (nil: no answer within a second).
    func fetch(_ url: String) async -> String? {
        guard let curl = try? requiredTool("curl", package: "curl"),
              let result = try? await TestProcess.run(ip, ["netns", "exec", c, curl, "-s", "-m", "1", url], timeout: 10),
              result.status == 0 else { return nil }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `condition` every 100 ms until it holds; throws naming `what` (and the last value seen) after `timeout`.
    func waitFor(_ what: String, timeout: Double = 30, _ condition: () async -> (Bool, String)) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            let (ok, seen) = await condition()
            if ok { return }
            last = seen
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError("timed out after \(timeout) s waiting for \(what); last seen: \(last)\n\(logs())")
    }

    /// Waits until the client's requests to `url` are answered by `body`.
    func waitForAnswer(_ url: String, _ body: String, timeout: Double = 30) async throws {
        try await waitFor("\(url) answered by \(body)", timeout: timeout) {
            let got = await fetch(url)
            return (got == body, got ?? "no answer")
        }
    }

    /// Every started process's output, for failure messages.
    func logs() -> String {
        processes.map { "--- \($0.name) (pid \($0.pid))\n\($0.standardOutput.suffix(1500))\n\($0.standardError.suffix(3000))" }.joined(separator: "\n")
    }

    func write(_ text: String, to file: String) throws -> String {
        let path = "\(directory)/\(file)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
