import Foundation
import ShoalTestFixtures
import Testing

/// `Appliances/mail-cluster.yaml` on the loopback host (127.0.190.0/24): up with a real slapd and three mail
/// nodes behind the director, mail in through the SMTP and submission VIPs and read back through the IMAP and
/// POP3 VIPs on another node, a killed node restarted, scale up and down under a client loop, and down.
@Suite(.serialized) struct MailClusterLoopbackTests {
    static let peers = PythonPeers(Bundle.module)

    /// A copy of a shipped spec on this suite's network, and a state directory; removed by the caller.
    static func workspace(_ spec: String, network: String) throws -> (directory: String, spec: String, state: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-appliance-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var text = try String(contentsOfFile: ApplianceSpecTests.repository + "/Appliances/" + spec, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("network:") })
        text = text.replacingOccurrences(of: String(line), with: "network: \(network)")
        let path = directory + "/" + spec
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path, directory + "/state")
    }

    static func shoal(_ arguments: [String], timeout: Double = 120) async throws -> TestProcess.Result {
        try await ShoalBinary.run(arguments, timeout: timeout)
    }

    static func status(_ state: String) async throws -> [String: Any] {
        let result = try await shoal(["status", "--json", "--state", state]).succeeded()
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func node(_ status: [String: Any], _ name: String) -> [String: Any]? {
        (status["nodes"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    static func client(_ arguments: [String]) async throws -> [String: Any] {
        let result = try await peers.run("mail_client.py", arguments, timeout: 120)
        try result.succeeded()
        let line = try #require(result.stdout.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// Waits until `condition` holds for the status, or fails with the last status.
    static func eventually(_ state: String, timeout: Double = 60, _ what: String, _ condition: ([String: Any]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await status(state)
            if condition(last) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out waiting for \(what); last status: \(last)")
        throw TestProcessError("timed out waiting for \(what)")
    }

    /// Live processes whose command line names `marker`.
    static func processes(mentioning marker: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int32($0) != nil && Int32($0) != getpid() }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let zombie = stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false
            return line.contains(marker) && !zombie ? "\(pid) \(line)" : nil
        }
    }

    @Test func mailClusterUpSendReadRestartScaleDown() async throws {
        _ = try requiredTool("slapd", package: "slapd")
        _ = try requiredTool("slapadd", package: "slapd")
        _ = try PythonPeers.python()
        let work = try Self.workspace("mail-cluster.yaml", network: "127.0.190.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let up = try await Self.shoal(["up", work.spec, "--wait", "--state", work.state, "--timeout", "90"])
        try up.succeeded()
        #expect(up.stdout.contains("mail-cluster is up and healthy"), "\(up)")
        #expect(up.stdout.contains("127.0.190.1:2525"))

        let status = try await Self.status(work.state)
        #expect(status["healthy"] as? Bool == true)
        let services = try #require(status["services"] as? [[String: Any]])
        var vip: [String: Int] = [:]
        for service in services { vip[service["name"] as! String] = service["port"] as? Int }
        #expect(vip == ["smtp": 2525, "submission": 1587, "imap": 1143, "pop3": 1110, "webmail": 8443])
        #expect(Self.node(status, "directory")?["healthy"] as? Bool == true)
        #expect((status["nodes"] as? [[String: Any]])?.count == 5)
        let host = "127.0.190.1"

        // Mail in: alice from outside over SMTP, bob's via submission with AUTH (users from slapd).
        let sent = try await Self.client(["send", host, "2525", "carol@example.org", "alice@shoal.test", "via-smtp-vip"])
        let delivering = try #require(sent["node"] as? String)
        #expect(delivering.hasPrefix("mail-"))
        _ = try await Self.client(["send", host, "1587", "alice@shoal.test", "postmaster@shoal.test", "via-submission-vip", "alice", "alice-secret"])
        // Read back through the IMAP and POP3 VIPs, on a node other than the one that took the mail.
        let imap = try await Self.client(["imap", host, "1143", "alice", "alice-secret", "via-smtp-vip", delivering])
        #expect(imap["found"] as? Int == 1)
        #expect(imap["node"] as? String != delivering, "\(imap)")
        let pop3 = try await Self.client(["pop3", host, "1110", "bob", "bob-secret", "via-submission-vip", delivering])
        #expect(pop3["found"] as? Int == 1)
        #expect(pop3["node"] as? String != delivering, "\(pop3)")

        // A node killed as a crash is started again by the supervisor and taken back by the director.
        let victim = try #require(Self.node(status, "mail-2")?["pid"] as? Int)
        #expect(kill(Int32(victim), SIGKILL) == 0)
        try await Self.eventually(work.state, "mail-2 restarted and healthy") { current in
            let node = Self.node(current, "mail-2") ?? [:]
            return (node["pid"] as? Int).map { $0 != victim } == true && (node["restarts"] as? Int ?? 0) >= 1
                && current["healthy"] as? Bool == true
        }
        let logs = try await Self.shoal(["logs", "supervisor", "--state", work.state]).succeeded()
        #expect(logs.stdout.contains("mail-2 (pid \(victim)) exited: signal 9"))

        // Scale up to 4 and back down to 2 while a client logs in again and again: no session fails.
        let stop = work.directory + "/stop-loop"
        let loop = try Self.peers.launch("mail_client.py", ["loop", host, "1143", "bob", "bob-secret", stop])
        defer { loop.kill() }
        let up4 = try await Self.shoal(["scale", "mail", "4", "--state", work.state]).succeeded()
        #expect(up4.stdout.contains("mail-1 mail-2 mail-3 mail-4"))
        let four = try await Self.status(work.state)
        #expect(four["healthy"] as? Bool == true)
        #expect(Self.node(four, "mail-4")?["address"] as? String == "127.0.190.14")
        let imapServers = (four["services"] as? [[String: Any]])?.first { $0["name"] as? String == "imap" }?["servers"] as? [[String: Any]]
        #expect(imapServers?.map { $0["state"] as? String } == ["UP", "UP", "UP", "UP"])
        let down2 = try await Self.shoal(["scale", "mail", "2", "--state", work.state]).succeeded()
        #expect(down2.stdout.contains("mail: mail-1 mail-2"))
        let two = try await Self.status(work.state)
        #expect(two["healthy"] as? Bool == true)
        #expect((two["nodes"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.filter { $0.hasPrefix("mail-") } == ["mail-1", "mail-2"])
        // The director's table followed: every service lists mail-1 and mail-2 only (an endpoint the plan lacks would be listed without a node).
        for service in two["services"] as? [[String: Any]] ?? [] {
            let servers = service["servers"] as? [[String: Any]] ?? []
            #expect(servers.map { $0["node"] as? String } == ["mail-1", "mail-2"], "\(service)")
        }
        #expect(Self.processes(mentioning: work.state + "/nodes/mail-3/").isEmpty)
        FileManager.default.createFile(atPath: stop, contents: nil)
        #expect(try await loop.wait(timeout: 60) == 0)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data((loop.outputLines.last ?? "{}").utf8)) as? [String: Any])
        #expect(summary["failed"] as? Int == 0, "\(summary)")
        #expect((summary["ok"] as? Int ?? 0) > 10, "\(summary)")

        // down: nothing of the appliance is left running, and its state is gone.
        #expect(!Self.processes(mentioning: work.state).isEmpty)
        let down = try await Self.shoal(["down", "--state", work.state]).succeeded()
        #expect(down.stdout.contains("stopped"))
        #expect(Self.processes(mentioning: work.state).isEmpty, "\(Self.processes(mentioning: work.state))")
        #expect(!FileManager.default.fileExists(atPath: work.state))
    }

    @Test func downAfterAKilledSupervisorLeavesNothing() async throws {
        let work = try Self.workspace("web-farm.yaml", network: "127.0.191.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        try await Self.shoal(["up", work.spec, "--wait", "--state", work.state, "--timeout", "90"]).succeeded()
        let status = try await Self.status(work.state)
        #expect(status["healthy"] as? Bool == true)
        let curl = try requiredTool("curl", package: "curl")
        let page = try await TestProcess.run(curl, ["-sS", "--noproxy", "*", "--max-time", "30", "http://127.0.191.1:8080/"]).succeeded()
        #expect(page.stdout.contains("web-farm"))
        let supervisor = try #require((status["supervisor"] as? [String: Any])?["pid"] as? Int)
        #expect(kill(Int32(supervisor), SIGKILL) == 0)
        // The nodes outlive their supervisor...
        try await Task.sleep(for: .milliseconds(300))
        #expect(Self.processes(mentioning: work.state).count == 4, "\(Self.processes(mentioning: work.state))")
        let orphaned = try await Self.status(work.state)
        #expect(orphaned["healthy"] as? Bool == false)
        // ...until down finds them by the state directory their command lines name.
        let down = try await Self.shoal(["down", "--state", work.state]).succeeded()
        #expect(down.stdout.contains("stopped 4 processes"), "\(down)")
        #expect(Self.processes(mentioning: work.state).isEmpty)
        // And the next up on the same state directory starts clean.
        try await Self.shoal(["up", work.spec, "--wait", "--state", work.state, "--timeout", "90"]).succeeded()
        #expect(try await Self.status(work.state)["healthy"] as? Bool == true)
        try await Self.shoal(["down", "--state", work.state]).succeeded()
        #expect(Self.processes(mentioning: work.state).isEmpty)
    }

    @Test func theCacheFarmComesUpAndServesTheOriginThroughTheVIP() async throws {
        let curl = try requiredTool("curl", package: "curl")
        let work = try Self.workspace("cache-farm.yaml", network: "127.0.192.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let plan = try await Self.shoal(["plan", work.spec, "--state", work.state]).succeeded()
        #expect(plan.stdout.contains("cache-3"))
        #expect(plan.stdout.contains("origin"))
        let up = try await Self.shoal(["up", work.spec, "--wait", "--state", work.state, "--timeout", "90"]).succeeded()
        #expect(up.stdout.contains("cache-farm is up and healthy"), "\(up)")
        let status = try await Self.status(work.state)
        #expect(status["healthy"] as? Bool == true)
        #expect((status["nodes"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted()
                == ["cache-1", "cache-2", "cache-3", "director", "origin"])
        let cacheServers = (status["services"] as? [[String: Any]])?.first?["servers"] as? [[String: Any]]
        #expect(cacheServers?.map { $0["state"] as? String } == ["UP", "UP", "UP"])
        // The origin's index page (the shared document root's) through the cache VIP, twice: the second from a cache.
        for _ in 0..<2 {
            let page = try await TestProcess.run(curl, ["-sS", "-i", "--noproxy", "*", "--max-time", "30", "http://127.0.192.1:3128/index.html"],
                                                 timeout: 60).succeeded()
            #expect(page.stdout.hasPrefix("HTTP/1.1 200"), "\(page.stdout.prefix(300))")
            #expect(page.stdout.contains("<h1>cache-farm</h1>"))
        }
        try await Self.shoal(["down", "--state", work.state]).succeeded()
        #expect(Self.processes(mentioning: work.state).isEmpty, "\(Self.processes(mentioning: work.state))")
    }

    @Test func aBadSpecNamesFileLineAndField() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-appliance-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spec = directory + "/bad.yaml"
        try "network: 127.0.193.0/24\npools:\n  mail: {replicas: 2, role: mial}\n".write(toFile: spec, atomically: true, encoding: .utf8)
        for command in ["plan", "up"] {
            let result = try await Self.shoal([command, spec, "--state", directory + "/state"])
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(spec):3: pools.mail.role: 'mial' is not one of: mail, web, cache"), "\(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/state"))
    }
}
