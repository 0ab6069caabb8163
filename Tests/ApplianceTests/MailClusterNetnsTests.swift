import Foundation
import ShoalTestFixtures
import Testing

/// `Appliances/mail-cluster.yaml` on the netns host: every node in a network namespace of its own (names `sha-…`)
/// on the cluster's bridge, the director's namespace holding the VIPs, clients in a namespace of their own. One
/// bring-up: healthy, mail in through the SMTP VIP and read back through the IMAP and POP3 VIPs from the client
/// namespace, then the supervisor SIGKILLed and `down` leaving no process, namespace or link behind.
@Suite(.serialized) struct MailClusterNetnsTests {
    typealias Loopback = MailClusterLoopbackTests

    /// Namespace names under /run/netns starting with `prefix`.
    static func namespaces(_ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The link names of the namespace this test runs in.
    static func rootLinks(_ ip: String) async throws -> Set<String> {
        let result = try await TestProcess.run(ip, ["-o", "link", "show"], timeout: 60).succeeded()
        return Set(result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 2).dropFirst().first.map { String($0.trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "") }
        })
    }

    /// `mail_client.py` run inside the client namespace.
    static func client(_ ip: String, _ namespace: String, _ arguments: [String]) async throws -> [String: Any] {
        let script = try Loopback.peers.path("mail_client.py")
        let result = try await TestProcess.run(ip, ["netns", "exec", namespace, try PythonPeers.python(), script] + arguments, timeout: 120)
        try result.succeeded()
        let line = try #require(result.stdout.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func mailClusterInNamespacesUpSendReadKilledDown() async throws {
        #expect(getuid() == 0, "the netns host needs root")
        let ip = try requiredTool("ip", package: "iproute2")
        _ = try requiredTool("slapd", package: "slapd")
        _ = try requiredTool("slapadd", package: "slapd")
        _ = try PythonPeers.python()
        let prefix = "sha-\(getpid() % 10_000)\(UInt8.random(in: 0...99))-"
        let work = try Loopback.workspace("mail-cluster.yaml", network: "127.0.194.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            for name in Self.namespaces(prefix) { _ = try? TestProcess.runBlocking(ip, ["netns", "del", name]) }
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let linksBefore = try await Self.rootLinks(ip)
        let up = try await Loopback.shoal(["up", work.spec, "--hosts", "netns", "--netns-prefix", prefix, "--wait", "--state", work.state,
                                           "--timeout", "120"], timeout: 240)
        try up.succeeded()
        #expect(up.stdout.contains("mail-cluster is up and healthy"), "\(up)")
        #expect(up.stdout.contains("10.0.194.1:2525"), "\(up)")
        let client = prefix + "mail-cluster-client"
        #expect(up.stdout.contains("ip netns exec \(client)"), "\(up)")

        // One namespace per node, one for clients, one for the bridge.
        let made = Self.namespaces(prefix)
        #expect(made == ["br", "client", "directory", "director", "mail-1", "mail-2", "mail-3"].map { prefix + "mail-cluster-" + $0 }.sorted(), "\(made)")
        let status = try await Loopback.status(work.state)
        #expect(status["healthy"] as? Bool == true, "\(status)")
        #expect(status["hosts"] as? String == "netns")
        #expect(status["client_namespace"] as? String == client)
        #expect(Loopback.node(status, "mail-2")?["address"] as? String == "10.0.194.12")
        #expect(Loopback.node(status, "directory")?["healthy"] as? Bool == true)
        // The VIP is the director namespace's own address; no mail node has it.
        let directorAddresses = try await TestProcess.run(ip, ["-n", prefix + "mail-cluster-director", "-o", "-4", "addr", "show", "dev", "eth0"],
                                                          timeout: 60).succeeded()
        #expect(directorAddresses.stdout.contains("10.0.194.1/24"))
        let mailAddresses = try await TestProcess.run(ip, ["-n", prefix + "mail-cluster-mail-1", "-o", "-4", "addr", "show"], timeout: 60).succeeded()
        #expect(!mailAddresses.stdout.contains("10.0.194.1/"))
        // The veths live in the cluster's namespaces only: none appeared in the namespace the test runs in.
        let ours: Set<String> = ["v1", "v2", "v11", "v12", "v13", "v250", "eth0"]
        #expect(try await Self.rootLinks(ip).subtracting(linksBefore).intersection(ours).isEmpty)
        let bridgePorts = try await TestProcess.run(ip, ["-n", prefix + "mail-cluster-br", "-o", "link", "show", "master", "br0"], timeout: 60).succeeded()
        #expect(bridgePorts.stdout.split(separator: "\n").count == 6, "\(bridgePorts.stdout)")

        // Mail in through the SMTP VIP, read back through the IMAP and POP3 VIPs on another node.
        let vip = "10.0.194.1"
        let sent = try await Self.client(ip, client, ["send", vip, "2525", "carol@example.org", "alice@shoal.test", "netns-smtp-vip"])
        let delivering = try #require(sent["node"] as? String)
        #expect(delivering.hasPrefix("mail-"))
        _ = try await Self.client(ip, client, ["send", vip, "1587", "alice@shoal.test", "bob@shoal.test", "netns-submission-vip", "alice", "alice-secret"])
        let imap = try await Self.client(ip, client, ["imap", vip, "1143", "alice", "alice-secret", "netns-smtp-vip", delivering])
        #expect(imap["found"] as? Int == 1, "\(imap)")
        #expect(imap["node"] as? String != delivering, "\(imap)")
        let pop3 = try await Self.client(ip, client, ["pop3", vip, "1110", "bob", "bob-secret", "netns-submission-vip", delivering])
        #expect(pop3["found"] as? Int == 1, "\(pop3)")
        #expect(pop3["node"] as? String != delivering, "\(pop3)")

        // The supervisor SIGKILLed: its nodes run on in their namespaces until down finds them.
        let supervisor = try #require((status["supervisor"] as? [String: Any])?["pid"] as? Int)
        #expect(kill(Int32(supervisor), SIGKILL) == 0)
        try await Task.sleep(for: .milliseconds(300))
        #expect(Loopback.processes(mentioning: work.state).count == 5, "\(Loopback.processes(mentioning: work.state))")
        let down = try await Loopback.shoal(["down", "--state", work.state]).succeeded()
        #expect(down.stdout.contains("stopped 5 processes"), "\(down)")
        #expect(Loopback.processes(mentioning: work.state).isEmpty, "\(Loopback.processes(mentioning: work.state))")
        #expect(Self.namespaces(prefix).isEmpty, "\(Self.namespaces(prefix))")
        let linksAfter = try await Self.rootLinks(ip)
        #expect(linksAfter.subtracting(linksBefore).intersection(ours).isEmpty, "\(linksAfter.subtracting(linksBefore))")
        #expect(!FileManager.default.fileExists(atPath: work.state))
    }

    /// The other shipped appliances in namespaces (and three-tier on loopback, which no other test brings up): each
    /// up healthy by the director's checks, its VIPs answering from the client namespace (three-tier's mail sent
    /// through the SMTP VIP read back through the IMAP VIP), down leaving no namespace.
    @Test(arguments: [("web-farm.yaml", "netns"), ("cache-farm.yaml", "netns"), ("three-tier.yaml", "netns"), ("three-tier.yaml", "loopback")])
    func everyApplianceComesUpHealthy(_ file: String, _ hosts: String) async throws {
        let ip = try requiredTool("ip", package: "iproute2")
        let curl = try requiredTool("curl", package: "curl")
        if file == "three-tier.yaml" { _ = try requiredTool("slapadd", package: "slapd") }
        let prefix = "sha-e\(getpid() % 10_000)\(UInt8.random(in: 0...99))-"
        let work = try Loopback.workspace(file, network: hosts == "netns" ? "127.0.199.0/24" : "127.0.198.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            for name in Self.namespaces(prefix) { _ = try? TestProcess.runBlocking(ip, ["netns", "del", name]) }
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        try await Loopback.shoal(["up", work.spec, "--hosts", hosts, "--netns-prefix", prefix, "--wait", "--state", work.state, "--timeout", "120"],
                                 timeout: 240).succeeded()
        let status = try await Loopback.status(work.state)
        #expect(status["healthy"] as? Bool == true, "\(status)")
        let services = try #require(status["services"] as? [[String: Any]])
        #expect(!services.isEmpty)
        for service in services {
            let servers = service["servers"] as? [[String: Any]] ?? []
            #expect(!servers.isEmpty && servers.allSatisfy { $0["state"] as? String == "UP" }, "\(service)")
        }
        // The web (or cache) VIP serves the shared document root's index page.
        if let web = services.first(where: { $0["proto"] as? String == "http" || $0["proto"] as? String == "cache" }) {
            let url = "http://\(web["address"] as! String):\(web["port"] as! Int)/index.html"
            let fetch = [curl, "-sS", "--noproxy", "*", "--max-time", "30", url]
            let page = hosts == "netns"
                ? try await TestProcess.run(ip, ["netns", "exec", try #require(status["client_namespace"] as? String)] + fetch, timeout: 60).succeeded()
                : try await TestProcess.run(curl, Array(fetch.dropFirst()), timeout: 60).succeeded()
            #expect(page.stdout.contains("<h1>\(status["name"] as! String)</h1>"), "\(page.stdout.prefix(200))")
        }
        // A mail pool (three-tier's): mail in through the SMTP VIP, read back through the IMAP VIP.
        if let smtp = services.first(where: { $0["proto"] as? String == "smtp" }),
           let imap = services.first(where: { $0["proto"] as? String == "imap" }) {
            let vip = smtp["address"] as! String
            let send = ["send", vip, "\(smtp["port"] as! Int)", "carol@example.org", "bob@shoal.test", "every-appliance-\(hosts)"]
            let read = ["imap", imap["address"] as! String, "\(imap["port"] as! Int)", "bob", "bob-secret", "every-appliance-\(hosts)"]
            let namespace = status["client_namespace"] as? String
            let sent = hosts == "netns" ? try await Self.client(ip, try #require(namespace), send) : try await Loopback.client(send)
            #expect(sent["sent"] as? Bool == true, "\(sent)")
            let found = hosts == "netns" ? try await Self.client(ip, try #require(namespace), read) : try await Loopback.client(read)
            #expect(found["found"] as? Int == 1, "\(found)")
        }
        if hosts == "netns" { #expect(!Self.namespaces(prefix).isEmpty) }
        try await Loopback.shoal(["down", "--state", work.state], timeout: 120).succeeded()
        #expect(Self.namespaces(prefix).isEmpty, "\(Self.namespaces(prefix))")
        #expect(Loopback.processes(mentioning: work.state).isEmpty)
    }
}
