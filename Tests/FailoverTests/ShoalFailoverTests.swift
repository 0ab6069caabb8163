import Foundation
import ShoalTestFixtures
import Testing

/// `shoal director`'s failover on its own and with tracking: malformed adverts from a raw socket are dropped and
/// counted (and a well-formed one then takes effect), a failing tracked script hands the VIP to keepalived.
@Suite(.serialized) struct ShoalFailoverTests {
    /// Sends VRRPv3 adverts from host b: one per line of `kinds` (good, checksum, ttl, version, short, count),
    /// each claiming priority 200 for virtual router 51.
    static let sender = """
        import socket, struct, sys
        VIP = socket.inet_aton("10.220.0.100")
        SRC, DST = socket.inet_aton("10.220.0.2"), socket.inet_aton("224.0.0.18")
        def csum(b):
            if len(b) % 2: b += b"\\0"
            s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
            while s >> 16: s = (s & 0xffff) + (s >> 16)
            return ~s & 0xffff
        def advert(version=3, count=1, body=VIP):
            head = bytes([version << 4 | 1, 51, 200, count]) + struct.pack("!HH", 30, 0)
            msg = head + body
            c = csum(SRC + DST + bytes([0, 112]) + struct.pack("!H", len(msg)) + msg)
            return msg[:6] + struct.pack("!H", c) + msg[8:]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
        s.bind(("10.220.0.2", 0))
        for kind in sys.argv[1:]:
            ttl, packet = 255, advert()
            if kind == "checksum": packet = packet[:7] + bytes([packet[7] ^ 1]) + packet[8:]
            if kind == "ttl": ttl = 64
            if kind == "version": packet = advert(version=2)
            if kind == "short": packet = packet[:6]
            if kind == "count": packet = advert(count=3)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
            s.sendto(packet, ("224.0.0.18", 0))
        """

    @Test func malformedAdvertsAreDroppedAndCounted() async throws {
        try await KeepalivedInteropTests.inLab { lab in
            let python = try requiredTool("python3", package: "python3")
            let script = try lab.write(Self.sender, to: "send-vrrp.py")
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            _ = try lab.startShoal(.init(priority: 100))
            try await lab.waitForShoalState("master")
            try await lab.inside(lab.b, [python, script, "checksum", "ttl", "version", "short", "count"])
            try await lab.waitFor("every malformed advert counted") {
                let dropped = await lab.shoalStatus()?["dropped"] as? [String: Int] ?? [:]
                let all = ["checksum", "ttl", "version", "length"].allSatisfy { (dropped[$0] ?? 0) >= 1 } && (dropped["length"] ?? 0) >= 2
                return (all, "\(dropped)")
            }
            let status = await lab.shoalStatus()
            #expect(status?["state"] as? String == "master", "priority 200 in malformed adverts must not win: \(status ?? [:])")
            #expect(status?["advertisements_received"] as? Int == 0)
            #expect(await lab.addresses(lab.a).contains(NamespaceLab.vip4))
            // The same sender's well-formed advert does take effect: shoal yields to priority 200.
            try await lab.inside(lab.b, [python, script, "good"])
            // The proof is a transition to backup counted after the advert (one at start, one now), not the current
            // state or the VIP: one advert only, so after the master-down interval shoal rightly becomes master
            // again, and a slow run can miss that window (the interop tests check VIP moves).
            try await lab.waitFor("shoal to yield to the good advert") {
                let status = await lab.shoalStatus()
                let backups = (status?["transitions"] as? [String: Int])?["backup"] ?? 0
                return (status?["advertisements_received"] as? Int == 1 && backups >= 2, "\(status ?? [:])")
            }
        }
    }

    @Test func failingTrackedScriptHandsTheVIPToKeepalived() async throws {
        try await KeepalivedInteropTests.inLab { lab in
            let flag = "\(lab.directory)/healthy"
            FileManager.default.createFile(atPath: flag, contents: Data())
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            try lab.startWebServer(lab.b, letter: "B", behindDirector: false)
            let notified = "\(lab.directory)/notify.log"
            _ = try lab.startShoal(.init(priority: 150, trackScript: "test -e \(flag)", notifyLog: notified))
            let keepalived = try lab.startKeepalived(.init(priority: 100))
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(KeepalivedInteropTests.url4, "A")
            // The script fails: 150 - 60 = 90 < keepalived's 100, which preempts.
            try FileManager.default.removeItem(atPath: flag)
            try await lab.waitForAnswer(KeepalivedInteropTests.url4, "B")
            try await lab.waitForShoalState("backup")
            #expect(await lab.shoalStatus()?["priority"] as? Int == 90)
            // It recovers: shoal preempts back.
            FileManager.default.createFile(atPath: flag, contents: Data())
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(KeepalivedInteropTests.url4, "A")
            #expect(await lab.shoalStatus()?["priority"] as? Int == 150)
            // The notify command saw every transition, with keepalived's arguments, in order (a starved moment in a
            // loaded run may add a flap: the four are checked in order, not as the whole file).
            try await lab.waitFor("the four notifications") {
                let lines = ((try? String(contentsOfFile: notified, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                var wanted = ["INSTANCE VI_1 BACKUP 150", "INSTANCE VI_1 MASTER 150", "INSTANCE VI_1 BACKUP 90", "INSTANCE VI_1 MASTER 150"][...]
                for line in lines where line == wanted.first { wanted = wanted.dropFirst() }
                return (lines.first == "INSTANCE VI_1 BACKUP 150" && wanted.isEmpty, "\(lines)")
            }
            keepalived.crash()
        }
    }

    @Test func acceptModeOffDropsTrafficToTheVIPWhileMaster() async throws {
        try await KeepalivedInteropTests.inLab { lab in
            let nft = try requiredTool("nft", package: "nftables")
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            try lab.startWebServer(lab.b, letter: "B", behindDirector: false)
            _ = try lab.startShoal(.init(priority: 150, acceptMode: false))
            try await lab.waitForShoalState("master")
            try await lab.waitFor("the VIP on host a") {
                let a = await lab.addresses(lab.a)
                return (a.contains(NamespaceLab.vip4), a)
            }
            let tables = try await lab.inside(lab.a, [nft, "list", "tables"]).stdout
            #expect(tables.contains("table inet shoal_vrrp_eth0_51"), "\(tables)")
            // Host a holds the VIP (it answers ARP for it) but drops what is addressed to it; its own address still
            // answers through the same listener: the filter is the VIP's alone.
            #expect(await lab.fetch(KeepalivedInteropTests.url4) == nil)
            #expect(await lab.fetch("http://10.220.0.1/") == "A")
            let mac = try await lab.run(lab.ip, ["-n", lab.a, "-br", "link", "show", "dev", "eth0"]).stdout.split(separator: " ").filter { !$0.isEmpty }
            let neighbour = try await lab.run(lab.ip, ["-n", lab.c, "neigh", "show", NamespaceLab.vip4]).stdout
            #expect(mac.count >= 3 && neighbour.contains("lladdr \(mac[2])"), "client's neighbour entry \(neighbour), host a \(mac)")
            // keepalived with a higher priority takes over: shoal releases the VIP and removes its filter.
            let keepalived = try lab.startKeepalived(.init(priority: 200))
            try await lab.waitForAnswer(KeepalivedInteropTests.url4, "B")
            try await lab.waitForShoalState("backup")
            try await lab.waitFor("shoal to remove its filter") {
                let tables = (try? await lab.inside(lab.a, [nft, "list", "tables"]).stdout) ?? "nft failed"
                return (!tables.contains("shoal_vrrp"), tables)
            }
            let status = await lab.shoalStatus()
            #expect(status?["last_error"] == nil, "\(status ?? [:])")
            keepalived.crash()
        }
    }
}
