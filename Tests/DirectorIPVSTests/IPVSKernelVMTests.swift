import Director
import Foundation
import ShoalCore
import Testing

/// `shoal ipvsadm` against a real kernel's IPVS (Debian's kernel in qemu, one boot): everything it writes the
/// real ipvsadm reads back identically, everything ipvsadm writes it reads back identically, and for the
/// same command on the same state both print the same output and errors with the same exit status.
@Suite(.serialized) struct IPVSKernelVMTests {
    @Test func shoalAndIpvsadmAgreeOnARealKernel() async throws {
        let started = ContinuousClock.now
        let console = try await KernelVM.run(scenario: "scenario.sh", files: ["rules.txt", "traffic.rules"])
        let elapsed = ContinuousClock.now - started
        print("IPVS VM scenario: one boot, \(elapsed)")
        let runs = VMRun.parse(console)
        try #require(!runs.isEmpty, "no case ran in the VM:\n\(console)")

        // Each step that only one tool runs must succeed.
        for name in ["restore-by-shoal", "edits", "daemon-start", "daemon-stop", "restore-by-ipvsadm", "clear", "director-log",
                     "weight-big-by-ipvsadm", "weight-big-delete", "weight-big-by-shoal",
                     "sync-daemon-start", "sync-daemon-stop", "sync-shoal-connections", "sync-kernel-connections",
                     "sync-to-kernel-daemon", "sync-to-kernel-master", "sync-to-kernel-backup", "sync-to-kernel-stopped"] {
            let run = try #require(runs[name]?.values.first, "case \(name) missing:\n\(console)")
            #expect(run.status == 0 && run.stderr.isEmpty, "\(name): \(run)")
        }
        // Every case both ran: identical output, errors and status.
        let compared = runs.filter { $0.value.count == 2 }
        #expect(compared.count >= 47, "only \(compared.count) compared cases")
        for (name, pair) in compared.sorted(by: { $0.key < $1.key }) {
            let ipvsadm = try #require(pair["ipvsadm"]), shoal = try #require(pair["shoal"])
            #expect(shoal == ipvsadm, "\(name)\nipvsadm: \(ipvsadm)\nshoal: \(shoal)")
        }

        // What the kernel holds is what the rules say (not only what both tools agree on).
        let saved = try #require(runs["shoal-wrote:-S_-n"]?["ipvsadm"]).stdout
        #expect(saved.contains("-A -u 10.0.0.1:53 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port\n"), "\(saved)")
        #expect(saved.contains("-a -f 7 -r 192.168.1.5:0 -i -w 4 --tun-type gue --tun-port 6080 --tun-csum\n"), "\(saved)")
        #expect(saved.contains("-A -f 8 -6 -s rr -o\n"), "\(saved)")
        #expect(saved.contains("-a -t [2001:db8::1]:443 -r [2001:db8::11]:443 -i -w 2 --tun-type ipip\n"), "\(saved)")
        #expect(runs["weight-biggest-list"]?["shoal"]?.stdout.contains("  -> 192.168.1.9:80               Route   2147483647 0          0") == true)
        // Real packets went through IPVS: both tools read the kernel's counters (three connections to the VIP).
        let stats = try #require(runs["ipvsadm-traffic:-L_-n_--stats"]?["shoal"]).stdout
        let vip = stats.split(separator: "\n").first { $0.hasPrefix("TCP  10.0.0.1:80 ") }?.split(separator: " ")
        #expect(vip?.count == 7 && vip?[2] == "3", "\(stats)")
        let connections = try #require(runs["connections"]?["shoal"]).stdout
        #expect(connections.split(separator: "\n").filter { $0.contains(" 10.0.0.1:80 ") }.count == 3, "\(connections)")
        // Without -n both print names from /etc/hosts and /etc/services (not only agree: the names are there).
        let named = try #require(runs["shoal-wrote-names:-L"]?["ipvsadm"]).stdout
        #expect(named.contains("TCP  vip.example:http wrr\n") && named.contains("  -> real-two.example:http        Masq    3 ")
            && named.contains("  -> a-very-long-host-name-for-th Masq ") && named.contains("TCP  [vip6.example]:https mh (mh-port)\n")
            && named.contains("UDP  vip.example:domain sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n")
            && named.contains("SCTP sctp-vip.example:cslistener wlc\n"), "\(named)")
        let savedNames = try #require(runs["shoal-wrote-names:-S"]?["ipvsadm"]).stdout
        #expect(savedNames.contains("-a -t vip.example:http -r a-very-long-host-name-for-the-third-real-server.cluster.exa -m -w 1\n"), "\(savedNames)")
        #expect(runs["list-no-arguments"]?["shoal"]?.stdout.contains("TCP  vip.example:http wrr\n") == true)
        let namedConnections = try #require(runs["connections-names"]?["ipvsadm"]).stdout
        #expect(namedConnections.split(separator: "\n").filter { $0.contains(" vip.example:http ") }.count == 3, "\(namedConnections)")
        let edited = try #require(runs["shoal-edited:-L_-n_--timeout"]?["ipvsadm"]).stdout
        #expect(edited == "Timeout (tcp tcpfin udp): 100 20 30\n")
        let daemons = try #require(runs["daemon-list"]?["ipvsadm"]).stdout
        #expect(daemons.hasPrefix("master sync daemon (mcast=lo, syncid=3"), "\(daemons)")

        // The director with --dataplane ipvs put its table into the kernel (replacing what was there)
        // and applied a reload's difference.
        let log = runs["director-log"]?["shoal"]?.stdout ?? ""
        #expect(runs["director-started"]?["ipvsadm"]?.stdout == """
            -A -t 10.0.0.1:80 -s wrr
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3
            -A -u 10.0.0.2:53 -s rr
            -a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 2

            """, "director log:\n\(log)")
        #expect(runs["director-reloaded"]?["ipvsadm"]?.stdout == """
            -A -t 10.0.0.1:80 -s wrr
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 5
            -a -t 10.0.0.1:80 -r 192.168.1.3:80 -m -w 1
            -A -u 10.0.0.2:53 -s rr
            -a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 2

            """, "director log:\n\(log)")
        // Real connections through the kernel, one per line of `fetch`: each method reaches the real servers
        // in the order the core's schedulers (what `shoal simulate` runs) pick for the same rules.
        let rules = try String(contentsOf: KernelVM.vmFolder.appendingPathComponent("traffic.rules"), encoding: .utf8)
        for (name, vip) in [("traffic-nat", "10.1.0.1:80"), ("traffic-dr", "10.9.0.1:80"), ("traffic-tun", "10.9.0.2:80")] {
            let seen = (runs[name]?["shoal"]?.stdout ?? "").split(separator: " ").map(String.init).filter { $0 != "\n" }
            #expect(seen == (try Self.simulated(rules, vip: vip, count: 6)), "\(name): \(runs[name]?["shoal"].map { "\($0)" } ?? "missing")")
        }
        // State sync: the kernel's master sync daemon sent its connections (IPVS sync protocol v1) and Shoal's
        // receiver, a backup director in another namespace, decoded them and installed the persistence templates:
        // the two clients' templates, one on each real server, are in Shoal's table as they are in the kernel's.
        let syncLog = runs["sync-backup-log"]?["shoal"]?.stdout ?? ""
        let kernelTemplates = Self.templates(runs["sync-kernel-connections"]?["ipvsadm"]?.stdout, vip: "10.1.0.1:81")
        let shoalTemplates = Self.templates(runs["sync-shoal-connections"]?["shoal"]?.stdout, vip: "10.1.0.1:81")
        #expect(kernelTemplates.count == 2 && Set(kernelTemplates.map { $0.split(separator: " ")[1] }).count == 2,
                "\(runs["sync-kernel-connections"].map { "\($0)" } ?? "missing")")
        #expect(shoalTemplates == kernelTemplates, "kernel \(kernelTemplates), shoal \(shoalTemplates)\n\(runs["sync-shoal-connections"].map { "\($0)" } ?? "missing")\n\(syncLog)")
        let countersText = runs["sync-shoal-counters"]?["shoal"]?.stdout ?? ""
        let counters = (try? JSONSerialization.jsonObject(with: Data(countersText.utf8)) as? [String: Any])?["sync"] as? [String: Any]
        #expect((counters?["messages_received"] as? Int ?? 0) >= 1 && counters?["dropped"] as? Int == 0, "\(countersText)\n\(syncLog)")

        // State sync to a kernel: `shoal director --dataplane ipvs`, master of its VRRP instance, started this kernel's
        // master sync daemon through netlink, and the kernel of namespace S (a backup daemon started by ipvsadm)
        // received the persistence templates of the service Shoal installed; stopped, the director stopped its daemon.
        let masterLog = runs["sync-master-log"]?["shoal"]?.stdout ?? ""
        #expect(runs["sync-to-kernel-daemon"]?["ipvsadm"]?.stdout.hasPrefix("master sync daemon (mcast=sy, syncid=10") == true,
                "\(runs["sync-to-kernel-daemon"].map { "\($0)" } ?? "missing")\n\(masterLog)")
        let masterTemplates = Self.templates(runs["sync-to-kernel-master"]?["ipvsadm"]?.stdout, vip: "10.1.0.1:82")
        let backupTemplates = Self.templates(runs["sync-to-kernel-backup"]?["ipvsadm"]?.stdout, vip: "10.1.0.1:82")
        #expect(masterTemplates.count == 2 && Set(masterTemplates.map { $0.split(separator: " ")[1] }).count == 2,
                "\(runs["sync-to-kernel-master"].map { "\($0)" } ?? "missing")\n\(masterLog)")
        #expect(backupTemplates == masterTemplates, "master \(masterTemplates), backup \(backupTemplates)\n\(masterLog)")
        #expect(runs["sync-to-kernel-stopped"]?["ipvsadm"]?.stdout == "", "\(masterLog)")

        // Stopped, the director removed its services; with --leave-kernel-rules it left them.
        #expect(runs["director-stopped"]?["ipvsadm"]?.stdout == "", "director log:\n\(log)")
        #expect(runs["director-left"]?["ipvsadm"]?.stdout == """
            -A -t 10.0.0.1:80 -s wrr
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 5
            -a -t 10.0.0.1:80 -r 192.168.1.3:80 -m -w 1
            -A -u 10.0.0.2:53 -s rr
            -a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 2

            """, "director log:\n\(log)")
    }

    /// The persistence templates (client port 0) of `vip` in an `ipvsadm -L -n -c` listing cut to protocol, state,
    /// source, virtual, destination: "source destination" each, sorted.
    static func templates(_ listing: String?, vip: String) -> [String] {
        (listing ?? "").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            .filter { $0.count == 5 && $0[2].hasSuffix(":0") && $0[3] == vip }.map { "\($0[2]) \($0[4])" }.sorted()
    }

    /// The real servers (as r1, r2: 10.2.i.2) the core's schedulers pick for `count` new connections to `vip`.
    static func simulated(_ rules: String, vip: String, count: Int) throws -> [String] {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules(rules))
        let trace = (0..<count).map { i in
            TraceEntry(line: i + 1, start: DirectorTime(seconds: i), client: Endpoint("10.1.0.2:\(40000 + i)")!, proto: .tcp,
                       virtual: Endpoint(vip)!, duration: DirectorTime(microseconds: 1000))
        }
        return TraceSimulator.run(table, trace: trace).outcomes.map { outcome in
            guard let server = outcome.destination else { return "drop" }
            return server.address == IPAddress("10.2.1.2")! ? "r1" : server.address == IPAddress("10.2.2.2")! ? "r2" : "\(server)"
        }
    }
}
