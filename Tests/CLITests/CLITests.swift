import Foundation
import ShoalTestFixtures
import Testing

/// Runs the real `shoal` binary: `shoal ipvsadm --rules` and `shoal simulate`.
@Suite struct CLITests {
    typealias Run = ShoalBinary.Result

    @discardableResult
    static func shoal(_ arguments: [String], stdin: String? = nil) throws -> Run {
        try ShoalBinary.run(arguments, stdin: stdin)
    }

    static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Demo")

    static func tempFile(_ name: String, _ contents: String? = nil) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
        return path
    }

    @Test func ipvsadmBuildsAndListsARulesFile() throws {
        let rules = try Self.tempFile("t.rules")
        #expect(try Self.shoal(["ipvsadm", "--rules", rules, "-A", "-t", "10.0.0.1:80", "-s", "wrr"]).status == 0)
        #expect(try Self.shoal(["ipvsadm", "--rules", rules, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.3:80", "-m", "-w", "2", "-x", "9", "-y", "4"]).status == 0)
        #expect(try Self.shoal(["ipvsadm", "--rules", rules, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.2", "-w", "5"]).status == 0)
        let list = try Self.shoal(["ipvsadm", "--rules", rules, "-L", "-n"])
        #expect(list.stdout == """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            TCP  10.0.0.1:80 wrr
              -> 192.168.1.2:80               Route   5      0          0         
              -> 192.168.1.3:80               Masq    2      0          0         

            """)
        let save = try Self.shoal(["ipvsadm", "--rules", rules, "-S", "-n"])
        #expect(save.stdout == """
            -A -t 10.0.0.1:80 -s wrr
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -g -w 5
            -a -t 10.0.0.1:80 -r 192.168.1.3:80 -m -w 2

            """)
        // The file itself keeps the thresholds that -S leaves out.
        #expect(try String(contentsOfFile: rules, encoding: .utf8).contains("-r 192.168.1.3:80 -m -w 2 -x 9 -y 4"))
        let thresholds = try Self.shoal(["ipvsadm", "--rules", rules, "-L", "-n", "--thresholds"])
        #expect(thresholds.stdout.contains("  -> 192.168.1.3:80               9          4          0          0         \n"))
    }

    @Test func restoreThenSaveRoundTrips() throws {
        let text = """
            -A -t 10.0.0.1:80 -s wlc -p 300 -M 255.255.255.0
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3
            -a -t 10.0.0.1:80 -r 192.168.1.3:80 -m -w 1
            -A -u [2001:db8::1]:53 -s sh -b sh-fallback,sh-port
            -a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -g -w 1
            -A -f 7 -s mh -b mh-port
            -a -f 7 -r 192.168.2.1:0 -i -w 4 --tun-type gue --tun-port 6080 --tun-csum

            """
        let rules = try Self.tempFile("r.rules")
        let restore = try Self.shoal(["ipvsadm", "--rules", rules, "-R"], stdin: text)
        #expect(restore.status == 0, "\(restore.stderr)")
        let save = try Self.shoal(["ipvsadm", "--rules", rules, "-S", "-n"])
        #expect(save.stdout == text)
    }

    @Test func aBadRestoreBatchChangesNothingAndNamesTheLine() throws {
        let rules = try Self.tempFile("b.rules", "-A -t 10.0.0.1:80 -s rr\n")
        let before = try String(contentsOfFile: rules, encoding: .utf8)
        let run = try Self.shoal(["ipvsadm", "--rules", rules, "-R"], stdin: "-A -t 10.0.0.2:80 -s rr\n-a -t 10.0.0.2:80 -r 1.2.3.4 -w 2147483648\n")
        #expect(run.status == 2)
        #expect(run.stderr == "shoal: <stdin>:2: -w: illegal weight specified\n")
        #expect(try String(contentsOfFile: rules, encoding: .utf8) == before)
        let dup = try Self.shoal(["ipvsadm", "--rules", rules, "-R"], stdin: "-A -t 10.0.0.2:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n")
        #expect(dup.stderr == "shoal: <stdin>:2: -t 10.0.0.1:80: Service already exists\n")
        #expect(try String(contentsOfFile: rules, encoding: .utf8) == before)
    }

    @Test func aBrokenRulesFileIsReportedWithItsLine() throws {
        let rules = try Self.tempFile("x.rules", "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.1.1 -s\n")
        let run = try Self.shoal(["ipvsadm", "--rules", rules, "-L", "-n"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("shoal: \(rules):2: "))
        let unknown = try Self.shoal(["ipvsadm", "--rules", rules, "-A", "-t", "10.0.0.9:80", "-s", "fastest"])
        #expect(unknown.status == 2)
    }

    @Test func simulateTheDemo() throws {
        let run = try Self.shoal(["simulate", "--rules", Self.demo.appendingPathComponent("lvs.rules").path,
                                  "--trace", Self.demo.appendingPathComponent("trace.csv").path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == """
            203.0.113.10:40001 -> 192.168.10.13:80
            203.0.113.11:40002 -> 192.168.10.13:80
            198.51.100.7:50000 -> 192.168.10.12:80
            192.0.2.44:33000 -> 192.168.10.11:80
            192.0.2.45:33001 -> 192.168.10.11:80
            192.0.2.99:33002 -> 192.168.10.11:80
            203.0.113.10:5353 -> 192.168.10.22:53
            203.0.113.11:5353 -> 192.168.10.21:53
            203.0.113.12:5353 -> 192.168.10.22:53
            203.0.113.10:40100 -> 192.168.10.13:80
            10.0.0.50:1234 -> DROP

            192.168.10.11:80 3
            192.168.10.12:80 1
            192.168.10.13:80 3
            192.168.10.21:53 1
            192.168.10.22:53 2
            DROP 1

            """)
    }

    @Test func expiriesAtTheSameSecondComeBeforeNewConnections() throws {
        // One server that takes one connection at a time (-x 1). The first connection is inactive from
        // 10 s and gone at 130 s, so a connection at exactly 130 s gets the server; the next does not.
        let rules = try Self.tempFile("o.rules", "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1 -x 1\n")
        let trace = try Self.tempFile("o.csv", "0,1.1.1.1:1,tcp,10.0.0.1:80,10\n129.999999,1.1.1.2:1,tcp,10.0.0.1:80,5\n130,1.1.1.3:1,tcp,10.0.0.1:80,5\n130,1.1.1.4:1,tcp,10.0.0.1:80,5\n")
        let run = try Self.shoal(["simulate", "--rules", rules, "--trace", trace])
        #expect(run.stdout == "1.1.1.1:1 -> 192.168.1.1:80\n1.1.1.2:1 -> DROP\n1.1.1.3:1 -> 192.168.1.1:80\n1.1.1.4:1 -> DROP\n\n192.168.1.1:80 2\nDROP 2\n")
    }

    @Test func templatesExpireBeforeNewConnectionsAtTheSameTime() throws {
        // Persistence 10 s; the connection closes at once and lingers 120 s, so the template is re-armed
        // at 10 s to 70 s, at 70 s to 130 s, and goes at 130 s after the connection (removals first).
        let rules = try Self.tempFile("p.rules", "-A -t 10.0.0.1:80 -s rr -p 10\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1\n-a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 1\n")
        let trace = try Self.tempFile("p.csv", "0,1.1.1.1:1,tcp,10.0.0.1:80,0\n129,1.1.1.1:2,tcp,10.0.0.1:80,0\n249,1.1.1.1:3,tcp,10.0.0.1:80,0\n")
        let run = try Self.shoal(["simulate", "--rules", rules, "--trace", trace])
        // 129: the template lives (this use re-arms it to 129 + 60 = 189; at 189 it waits to 249). At 249
        // its last connection goes, then the template, then the new connection is scheduled afresh:
        // rr moves on to 192.168.1.1.
        #expect(run.stdout == "1.1.1.1:1 -> 192.168.1.2:80\n1.1.1.1:2 -> 192.168.1.2:80\n1.1.1.1:3 -> 192.168.1.1:80\n\n192.168.1.1:80 1\n192.168.1.2:80 2\n")
    }

    @Test func badTracesNameTheLineAndField() throws {
        let rules = Self.demo.appendingPathComponent("lvs.rules").path
        let cases: [(String, String)] = [
            ("0,1.1.1.1:1,tcp,10.0.0.1:80\n", ":1: line: expected 5 comma-separated fields"),
            ("# ok\n\nx,1.1.1.1:1,tcp,10.0.0.1:80,1\n", ":3: start_seconds: 'x' is not a non-negative number of seconds"),
            ("0,1.1.1.1,tcp,10.0.0.1:80,1\n", ":1: client_ip:port: '1.1.1.1' is not an address:port"),
            ("0,1.1.1.1:1,icmp,10.0.0.1:80,1\n", ":1: protocol: 'icmp' is not tcp or udp"),
            ("0,1.1.1.1:1,udp,10.0.0.1:99999,1\n", ":1: vip:port: '10.0.0.1:99999' is not an address:port"),
            ("0,1.1.1.1:1,udp,10.0.0.1:80,-1\n", ":1: duration_seconds: '-1' is not a non-negative number of seconds"),
        ]
        for (text, message) in cases {
            let trace = try Self.tempFile("bad.csv", text)
            let run = try Self.shoal(["simulate", "--rules", rules, "--trace", trace])
            #expect(run.status == 2)
            #expect(run.stderr.contains(trace + message), "\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let missing = try Self.shoal(["simulate", "--rules", rules, "--trace", "/nonexistent/trace.csv"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/trace.csv"))
        let noRules = try Self.shoal(["simulate", "--rules", "/nonexistent/r.rules", "--trace", "/dev/null"])
        #expect(noRules.stderr == "shoal: /nonexistent/r.rules: no such rules file\n")
    }
}

/// `shoal realserver-setup`: the setup VS/DR and VS/TUN real servers need.
@Suite struct RealServerSetupCLITests {
    @Test func printsTheSetupForDirectRoutingAndTunnels() throws {
        let dr = try ShoalBinary.run(["realserver-setup", "--method", "dr", "10.0.0.1"])
        #expect(dr.status == 0)
        #expect(dr.stdout == """
            sysctl -w net.ipv4.conf.all.arp_ignore=1
            sysctl -w net.ipv4.conf.all.arp_announce=2
            sysctl -w net.ipv4.conf.lo.arp_ignore=1
            sysctl -w net.ipv4.conf.lo.arp_announce=2
            ip addr add 10.0.0.1/32 dev lo

            """)
        let tun = try ShoalBinary.run(["realserver-setup", "--method", "tun", "10.0.0.1"])
        #expect(tun.stdout.hasPrefix("modprobe ipip\nip link set tunl0 up\nip addr add 10.0.0.1/32 dev tunl0\n"))
        #expect(tun.stdout.contains("sysctl -w net.ipv4.conf.tunl0.rp_filter=0\n"))
        let v6 = try ShoalBinary.run(["realserver-setup", "--method", "dr", "2001:db8::1"])
        #expect(v6.stdout == "ip -6 addr add 2001:db8::1/128 dev lo nodad\n")
        let bad = try ShoalBinary.run(["realserver-setup", "--method", "nat", "10.0.0.1"])
        #expect(bad.status != 0 && bad.stderr.contains("--method is dr or tun"))
    }
}
