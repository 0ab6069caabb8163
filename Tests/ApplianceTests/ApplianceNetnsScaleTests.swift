import Foundation
import ShoalTestFixtures
import Testing

/// The mail cluster on the netns host (namespaces `sha3-…`, 10.0.197.0/24), under change: `shoal scale mail 4`
/// then `shoal scale mail 2` while a real IMAP client loops through the VIP from the client namespace (no session
/// lost, the director's table following each step, the new node serving mail that was delivered before it
/// existed), and `down` after a SIGKILLed `shoal up` — killed while it made the namespaces, and killed while it
/// waited for health together with its supervisor — leaving no process, namespace or link.
@Suite(.serialized) struct ApplianceNetnsScaleTests {
    typealias Loopback = MailClusterLoopbackTests
    typealias Netns = MailClusterNetnsTests

    /// One real server of a virtual service as `status --json` lists it (node nil: an endpoint the plan lacks).
    struct Server: Equatable, CustomStringConvertible {
        var node: String?
        var endpoint: String
        var state: String
        var description: String { "\(node ?? "-") \(endpoint) \(state)" }
    }

    /// The servers of every virtual service, by service name, in the director's table.
    static func servers(_ status: [String: Any]) -> [String: [Server]] {
        var table: [String: [Server]] = [:]
        for service in status["services"] as? [[String: Any]] ?? [] {
            let name = service["name"] as? String ?? "?"
            table[name] = (service["servers"] as? [[String: Any]] ?? []).map {
                Server(node: $0["node"] as? String, endpoint: $0["endpoint"] as? String ?? "?", state: $0["state"] as? String ?? "?")
            }
        }
        return table
    }

    /// The loop's per-session lines so far.
    static func sessions(_ loop: TestProcess) -> [[String: Any]] {
        loop.outputLines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["session"] != nil }
    }

    /// Whether no live process names `text` on its command line.
    static func noProcess(mentioning text: String) -> Bool { Loopback.processes(mentioning: text).isEmpty }

    @Test func scaleUpAndDownUnderAnIMAPLoopLosesNoSession() async throws {
        #expect(getuid() == 0, "the netns host needs root")
        let ip = try requiredTool("ip", package: "iproute2")
        _ = try requiredTool("slapd", package: "slapd")
        _ = try requiredTool("slapadd", package: "slapd")
        let python = try PythonPeers.python()
        let script = try Loopback.peers.path("mail_client.py")
        let prefix = "sha3-s\(getpid() % 10_000)\(UInt8.random(in: 0...99))-"
        let work = try Loopback.workspace("mail-cluster.yaml", network: "127.0.197.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            for name in Netns.namespaces(prefix) { _ = try? TestProcess.runBlocking(ip, ["netns", "del", name]) }
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let linksBefore = try await Netns.rootLinks(ip)
        try await Loopback.shoal(["up", work.spec, "--hosts", "netns", "--netns-prefix", prefix, "--wait", "--state", work.state,
                                  "--timeout", "120"], timeout: 240).succeeded()
        let cluster = prefix + "mail-cluster-"
        let client = cluster + "client"
        let vip = "10.0.197.1"
        let initial = try await Loopback.status(work.state)
        #expect(initial["healthy"] as? Bool == true, "\(initial)")
        for (service, servers) in Self.servers(initial) {
            #expect(servers.map(\.node) == ["mail-1", "mail-2", "mail-3"], "\(service): \(servers)")
        }

        // Mail delivered before the pool grows: the node added later reads it from the shared store.
        let sent = try await Netns.client(ip, client, ["send", vip, "2525", "carol@example.org", "alice@shoal.test", "before-scale"])
        #expect((sent["node"] as? String)?.hasPrefix("mail-") == true, "\(sent)")

        // An IMAP client logging in again and again through the VIP, from the client namespace, the whole time.
        let stop = work.directory + "/stop-loop"
        let loop = try TestProcess(ip, ["netns", "exec", client, python, script, "loop", vip, "1143", "bob", "bob-secret", stop],
                                   name: "imap-loop")
        defer { loop.kill() }
        #expect(await eventually(within: 60, every: .milliseconds(200)) { Self.sessions(loop).count >= 3 }, "the loop made no session: \(loop.standardError)")

        // Up to 4: a namespace for mail-4 on the bridge, mail-4 UP in every service, and the loop's sessions reach it.
        let up4 = try await Loopback.shoal(["scale", "mail", "4", "--state", work.state], timeout: 240).succeeded()
        #expect(up4.stdout.contains("mail: mail-1 mail-2 mail-3 mail-4"), "\(up4)")
        #expect(Netns.namespaces(prefix).contains(cluster + "mail-4"))
        let four = try await Loopback.status(work.state)
        #expect(four["healthy"] as? Bool == true, "\(four)")
        #expect(Loopback.node(four, "mail-4")?["address"] as? String == "10.0.197.14")
        let table4 = Self.servers(four)
        #expect(Set(table4.keys) == ["smtp", "submission", "imap", "pop3", "webmail"])
        for (service, servers) in table4 {
            #expect(servers.map(\.node) == ["mail-1", "mail-2", "mail-3", "mail-4"], "\(service): \(servers)")
            #expect(servers.allSatisfy { $0.state == "UP" }, "\(service): \(servers)")
        }
        let ports4 = try await TestProcess.run(ip, ["-n", cluster + "br", "-o", "link", "show", "master", "br0"], timeout: 60).succeeded()
        #expect(ports4.stdout.split(separator: "\n").count == 7, "\(ports4.stdout)")
        #expect(await eventually(within: 90, every: .milliseconds(200)) { Self.sessions(loop).contains { $0["node"] as? String == "mail-4" } },
                "no loop session landed on mail-4: \(Self.sessions(loop).suffix(5))")
        let onNew = try await Netns.client(ip, client, ["imap-on", vip, "1143", "alice", "alice-secret", "before-scale", "mail-4"])
        #expect(onNew["node"] as? String == "mail-4", "\(onNew)")
        #expect(onNew["found"] as? Int == 1, "\(onNew)")

        // Down to 2: mail-3 and mail-4 drained, stopped, out of the director's table, their namespaces gone.
        let before = Self.sessions(loop).count
        let down2 = try await Loopback.shoal(["scale", "mail", "2", "--state", work.state], timeout: 240).succeeded()
        #expect(down2.stdout.contains("mail: mail-1 mail-2"), "\(down2)")
        let two = try await Loopback.status(work.state)
        #expect(two["healthy"] as? Bool == true, "\(two)")
        for (service, servers) in Self.servers(two) {
            #expect(servers.map(\.node) == ["mail-1", "mail-2"], "\(service) still lists \(servers)")
            #expect(servers.map(\.endpoint).allSatisfy { $0.hasPrefix("10.0.197.11:") || $0.hasPrefix("10.0.197.12:") }, "\(servers)")
        }
        #expect(!Netns.namespaces(prefix).contains(cluster + "mail-3"))
        #expect(!Netns.namespaces(prefix).contains(cluster + "mail-4"))
        #expect(Self.noProcess(mentioning: work.state + "/nodes/mail-3/"))
        #expect(Self.noProcess(mentioning: work.state + "/nodes/mail-4/"))
        let ports2 = try await TestProcess.run(ip, ["-n", cluster + "br", "-o", "link", "show", "master", "br0"], timeout: 60).succeeded()
        #expect(ports2.stdout.split(separator: "\n").count == 5, "\(ports2.stdout)")
        // The loop goes on against the smaller pool, then stops: every one of its sessions succeeded.
        #expect(await eventually(within: 60, every: .milliseconds(200)) { Self.sessions(loop).count >= before + 3 }, "the loop stalled after the scale-down")
        FileManager.default.createFile(atPath: stop, contents: nil)
        #expect(try await loop.wait(timeout: 90) == 0, "\(loop.standardError)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data((loop.outputLines.last ?? "{}").utf8)) as? [String: Any])
        #expect(summary["failed"] as? Int == 0, "\(summary)")
        #expect((summary["ok"] as? Int ?? 0) >= 10, "\(summary)")
        #expect((summary["nodes"] as? [String] ?? []).contains("mail-4"), "\(summary)")

        try await Loopback.shoal(["down", "--state", work.state], timeout: 120).succeeded()
        #expect(Self.noProcess(mentioning: work.state), "\(Loopback.processes(mentioning: work.state))")
        #expect(Netns.namespaces(prefix).isEmpty, "\(Netns.namespaces(prefix))")
        let ours: Set<String> = ["v1", "v2", "v11", "v12", "v13", "v14", "v250", "eth0", "br0"]
        #expect(try await Netns.rootLinks(ip).subtracting(linksBefore).intersection(ours).isEmpty)
    }

    @Test func downAfterASIGKILLedUpLeavesNothing() async throws {
        #expect(getuid() == 0, "the netns host needs root")
        let ip = try requiredTool("ip", package: "iproute2")
        let shoal = try ShoalBinary.executable()
        let prefix = "sha3-k\(getpid() % 10_000)\(UInt8.random(in: 0...99))-"
        let work = try Loopback.workspace("web-farm.yaml", network: "127.0.197.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            for name in Netns.namespaces(prefix) { _ = try? TestProcess.runBlocking(ip, ["netns", "del", name]) }
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let linksBefore = try await Netns.rootLinks(ip)
        let ours: Set<String> = ["v1", "v11", "v12", "v13", "v250", "eth0", "br0"]
        let arguments = ["up", work.spec, "--hosts", "netns", "--netns-prefix", prefix, "--wait", "--state", work.state, "--timeout", "120"]

        // 1. Killed while it makes the namespaces (before any plan or supervisor exists).
        let early = try TestProcess(shoal, arguments, name: "up-early")
        defer { early.kill() }
        #expect(await eventually(within: 120, every: .milliseconds(5)) { !Netns.namespaces(prefix).isEmpty || !early.isRunning },
                "up made no namespace: \(early.standardError)")
        early.kill()
        // `ip` commands it had started finish on their own; down comes after them.
        #expect(await eventually(within: 60) { Self.noProcess(mentioning: prefix) })
        let first = try await Loopback.shoal(["down", "--state", work.state], timeout: 120).succeeded()
        #expect(first.stdout.contains("state removed"), "\(first)")
        #expect(Netns.namespaces(prefix).isEmpty, "\(Netns.namespaces(prefix))")
        #expect(Self.noProcess(mentioning: work.state))
        #expect(try await Netns.rootLinks(ip).subtracting(linksBefore).intersection(ours).isEmpty)

        // 2. Killed while it waits for health, and its supervisor killed too: the nodes run on, orphaned.
        let late = try TestProcess(shoal, arguments, name: "up-late")
        defer { late.kill() }
        let pidFile = work.state + "/supervisor.pid"
        #expect(await eventually(within: 120) {
            FileManager.default.fileExists(atPath: pidFile) && !Loopback.processes(mentioning: work.state + "/nodes/").isEmpty
        }, "the supervisor started no node: \(late.standardError)")
        late.kill()
        let supervisor = try #require(Int32((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(supervisor, SIGKILL) == 0)
        #expect(!Netns.namespaces(prefix).isEmpty)
        #expect(!Loopback.processes(mentioning: work.state).isEmpty)
        let second = try await Loopback.shoal(["down", "--state", work.state], timeout: 120).succeeded()
        #expect(second.stdout.contains("state removed"), "\(second)")
        #expect(Self.noProcess(mentioning: work.state), "\(Loopback.processes(mentioning: work.state))")
        #expect(Self.noProcess(mentioning: prefix), "\(Loopback.processes(mentioning: prefix))")
        #expect(Netns.namespaces(prefix).isEmpty, "\(Netns.namespaces(prefix))")
        #expect(try await Netns.rootLinks(ip).subtracting(linksBefore).intersection(ours).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: work.state))
    }
}
