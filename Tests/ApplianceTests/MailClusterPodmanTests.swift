import Foundation
import ShoalTestFixtures
import Testing

/// `Appliances/mail-cluster.yaml` on the podman host: the node image built from Debian packages by mmdebstrap
/// (once per binary: its tag is the content hash), every node a container (`shoal-test-…`) joined to its network
/// namespace (`sha-…`). One bring-up: healthy, mail in through the SMTP VIP and read back through the IMAP VIP on
/// another node, then the supervisor SIGKILLed and `down` leaving no container, namespace, link or process.
@Suite(.serialized) struct MailClusterPodmanTests {
    typealias Loopback = MailClusterLoopbackTests
    typealias Netns = MailClusterNetnsTests

    static func containers(_ podman: String, _ prefix: String) async throws -> [String] {
        let result = try await TestProcess.run(podman, ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                                                        "ps", "-a", "--format", "{{.Names}}"], timeout: 120).succeeded()
        return result.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }.sorted()
    }

    @Test func mailClusterInContainersUpSendReadKilledDown() async throws {
        #expect(getuid() == 0, "the podman host needs root")
        let ip = try requiredTool("ip", package: "iproute2")
        let podman = try requiredTool("podman", package: "podman")
        _ = try requiredTool("runc", package: "runc")
        _ = try requiredTool("mmdebstrap", package: "mmdebstrap")
        _ = try requiredTool("slapadd", package: "slapd")
        _ = try PythonPeers.python()
        let tag = "\(getpid() % 10_000)\(UInt8.random(in: 0...99))"
        let namespaces = "sha-p\(tag)-", containers = "shoal-test-\(tag)-"
        let work = try Loopback.workspace("mail-cluster.yaml", network: "127.0.195.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            for name in Netns.namespaces(namespaces) { _ = try? TestProcess.runBlocking(ip, ["netns", "del", name]) }
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let linksBefore = try await Netns.rootLinks(ip)
        // The first run of a binary builds its image (mmdebstrap from the Debian archive): generous bounds.
        let up = try await Loopback.shoal(["up", work.spec, "--hosts", "podman", "--netns-prefix", namespaces, "--container-prefix", containers,
                                           "--image", "localhost/shoal-test-node", "--wait", "--state", work.state, "--timeout", "180"],
                                          timeout: 1500)
        try up.succeeded()
        #expect(up.stdout.contains("mail-cluster is up and healthy"), "\(up)")
        #expect(up.stdout.contains("image        localhost/shoal-test-node:"), "\(up)")
        let running = try await Self.containers(podman, containers)
        #expect(running == ["director", "directory", "mail-1", "mail-2", "mail-3"].map { containers + "mail-cluster-" + $0 }, "\(running)")
        let status = try await Loopback.status(work.state)
        #expect(status["healthy"] as? Bool == true, "\(status)")
        #expect(status["hosts"] as? String == "podman")
        let client = try #require(status["client_namespace"] as? String)

        let vip = "10.0.195.1"
        let sent = try await Netns.client(ip, client, ["send", vip, "2525", "carol@example.org", "alice@shoal.test", "podman-smtp-vip"])
        let delivering = try #require(sent["node"] as? String)
        #expect(delivering.hasPrefix("mail-"))
        let imap = try await Netns.client(ip, client, ["imap", vip, "1143", "alice", "alice-secret", "podman-smtp-vip", delivering])
        #expect(imap["found"] as? Int == 1, "\(imap)")
        #expect(imap["node"] as? String != delivering, "\(imap)")

        let supervisor = try #require((status["supervisor"] as? [String: Any])?["pid"] as? Int)
        #expect(kill(Int32(supervisor), SIGKILL) == 0)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.containers(podman, containers).count == 5)
        try await Loopback.shoal(["down", "--state", work.state], timeout: 300).succeeded()
        #expect(try await Self.containers(podman, containers).isEmpty)
        #expect(Netns.namespaces(namespaces).isEmpty, "\(Netns.namespaces(namespaces))")
        #expect(Loopback.processes(mentioning: work.state).isEmpty, "\(Loopback.processes(mentioning: work.state))")
        // No veth, bridge or podman link of the cluster was left in the namespace the test runs in.
        let ours: Set<String> = ["v1", "v2", "v11", "v12", "v13", "v250", "eth0", "br0", "podman0"]
        let linksAfter = try await Netns.rootLinks(ip)
        #expect(linksAfter.subtracting(linksBefore).intersection(ours).isEmpty, "\(linksAfter.subtracting(linksBefore))")
    }
}
