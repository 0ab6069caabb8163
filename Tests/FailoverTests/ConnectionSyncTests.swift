import Foundation
import ShoalTestFixtures
import Testing

/// Two `shoal director`s on one segment, VRRP between them and the IPVS sync protocol from master to backup:
/// a client's persistence template moves with the VIP, so after the takeover it keeps its real server.
@Suite(.serialized) struct ConnectionSyncTests {
    /// A director on `namespace` for VIP:80 (bound before it holds the VIP: ip_nonlocal_bind), rr with persistence
    /// over the two real servers on host c, its VRRP instance and the sync daemon (sync id 7, multicast).
    static func startDirector(_ lab: NamespaceLab, _ namespace: String, priority: Int) throws -> TestProcess {
        let config = """
            director:
              admin: {listen: "127.0.0.1:9000"}
            services:
              - name: web
                listen: "\(NamespaceLab.vip4):80"
                scheduler: rr
                persistence: {timeout: 300}
                servers: [{address: "10.220.0.21:80"}, {address: "10.220.0.22:80"}]
            failover:
              instances:
                - {name: VI_1, interface: eth0, virtual_router_id: 51, priority: \(priority), advert_interval: 1,
                   virtual_addresses: ["\(NamespaceLab.vip4)/24"], garp_refresh: 1}
              sync: {interface: eth0, sync_id: 7, interval: 0.2}
            """
        let path = try lab.write(config, to: "director-\(namespace).yaml")
        return try lab.start(namespace, [ShoalBinary.path, "director", "--config", path], name: "shoal-\(namespace)")
    }

    /// The letter of the real server that answered a request from `source` on host c.
    static func serverFor(_ lab: NamespaceLab, source: String) async throws -> String? {
        let curl = try requiredTool("curl", package: "curl")
        let result = try await TestProcess.run(lab.ip, ["netns", "exec", lab.c, curl, "-s", "-m", "2", "--interface", source,
                                                        "http://\(NamespaceLab.vip4)/"], timeout: 10)
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    @Test func persistentClientKeepsItsServerAcrossATakeover() async throws {
        try await KeepalivedInteropTests.inLab { lab in
            let python = try requiredTool("python3", package: "python3")
            for address in ["10.220.0.4/24", "10.220.0.21/24", "10.220.0.22/24"] {
                try await lab.run(lab.ip, ["-n", lab.c, "addr", "add", address, "dev", "eth0"])
            }
            for (letter, address) in [("R1", "10.220.0.21"), ("R2", "10.220.0.22")] {
                let root = "\(lab.directory)/www-\(letter)"
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
                try "\(letter)\n".write(toFile: "\(root)/index.html", atomically: true, encoding: .utf8)
                _ = try lab.start(lab.c, [python, "-m", "http.server", "80", "--bind", address, "--directory", root], name: "web-\(letter)")
            }
            for host in [lab.a, lab.b] { try await lab.inside(host, ["sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=1"]) }
            let master = try Self.startDirector(lab, lab.a, priority: 150)
            _ = try Self.startDirector(lab, lab.b, priority: 100)
            try await lab.waitForShoalState("master", in: lab.a)
            try await lab.waitForShoalState("backup", in: lab.b)

            // Round robin on the master: client .4 gets the first server, client .3 the second, and keeps it.
            var first: String?
            try await lab.waitFor("the master to answer client .4") {
                first = try? await Self.serverFor(lab, source: "10.220.0.4")
                return (first != nil, "\(first ?? "no answer")")
            }
            let kept = try await Self.serverFor(lab, source: "10.220.0.3")
            #expect(kept != nil && kept != first, "rr gave .4 \(first ?? "-") and .3 \(kept ?? "-")")
            #expect(try await Self.serverFor(lab, source: "10.220.0.3") == kept)

            // The backup hears the templates (two clients: two entries per send).
            try await lab.waitFor("the backup to receive the master's templates") {
                let sync = await lab.failoverDocument(lab.b)?["sync"] as? [String: Any]
                return ((sync?["entries_received"] as? Int ?? 0) >= 2, "\(sync ?? [:])")
            }
            master.kill()
            await lab.removeAddress(lab.a, "\(NamespaceLab.vip4)/24")
            try await lab.waitForShoalState("master", in: lab.b)
            // Without the synced template the backup's rr would give .3 the first server; it keeps its own.
            var after: String?
            try await lab.waitFor("the backup to answer client .3") {
                after = try? await Self.serverFor(lab, source: "10.220.0.3")
                return (after != nil, "\(after ?? "no answer")")
            }
            #expect(after == kept, "client .3 had \(kept ?? "-") and got \(after ?? "-") after the takeover")
        }
    }
}
