import Foundation
import ShoalTestFixtures
import Testing

/// Shoal's VRRPv3 against keepalived 2.2 on a bridged segment of network namespaces: the VIP moves between the
/// two routers when either is SIGKILLed, comes back per the preempt settings, and carries the client's HTTP
/// requests (host a answers "A" through `shoal director`'s proxy, host b "B" from its own web server).
@Suite(.serialized) struct KeepalivedInteropTests {
    static let url4 = "http://\(NamespaceLab.vip4)/"
    static let url6 = "http://[\(NamespaceLab.vip6)]/"

    /// Runs `body` in a fresh lab and removes the lab afterwards, also when `body` throws.
    static func inLab(_ body: (NamespaceLab) async throws -> Void) async throws {
        let lab = try await NamespaceLab.create()
        do {
            try await body(lab)
        } catch {
            await lab.destroy()
            throw error
        }
        await lab.destroy()
    }

    @Test func shoalMasterKeepalivedBackupAndBack() async throws {
        try await Self.inLab { lab in
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            try lab.startWebServer(lab.b, letter: "B", behindDirector: false)
            var shoal = try lab.startShoal(.init(priority: 150))
            let keepalived = try lab.startKeepalived(.init(priority: 100))
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(Self.url4, "A")
            #expect(await lab.addresses(lab.a).contains(NamespaceLab.vip4))
            // A slow start may let keepalived be master for a moment before shoal preempts: wait for its release.
            try await lab.waitFor("keepalived not to hold the VIP") {
                let b = await lab.addresses(lab.b)
                return (!b.contains(NamespaceLab.vip4), b)
            }

            // Shoal's host dies: keepalived takes over and answers.
            shoal.kill()
            await lab.removeAddress(lab.a, "\(NamespaceLab.vip4)/24")
            try await lab.waitForAnswer(Self.url4, "B")
            #expect(await lab.addresses(lab.b).contains(NamespaceLab.vip4))

            // Shoal returns with the higher priority and preempts.
            shoal = try lab.startShoal(.init(priority: 150))
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(Self.url4, "A")
            try await lab.waitFor("keepalived to release the VIP") {
                let b = await lab.addresses(lab.b)
                return (!b.contains(NamespaceLab.vip4), b)
            }
            let status = await lab.shoalStatus()
            #expect((status?["advertisements_received"] as? Int ?? 0) > 0, "shoal heard keepalived: \(status ?? [:])")
            #expect((status?["dropped"] as? [String: Int] ?? [:]).isEmpty, "keepalived's adverts all passed the checks: \(status ?? [:])")
            // The status page and the metrics show the state too.
            let curl = try requiredTool("curl", package: "curl")
            let page = try await lab.inside(lab.a, [curl, "-s", "-m", "2", "http://127.0.0.1:9000/status"]).stdout
            #expect(page.contains("class=\"vrrp\" data-instance=\"VI_1\" data-state=\"MASTER\""), "\(page.prefix(2000))")
            let metrics = try await lab.inside(lab.a, [curl, "-s", "-m", "2", "http://127.0.0.1:9000/metrics"]).stdout
            #expect(metrics.contains("shoal_vrrp_state{instance=\"VI_1\"} 2"), "\(metrics.suffix(1500))")
            #expect(metrics.contains("shoal_vrrp_transitions_total{instance=\"VI_1\", state=\"master\"} 1")
                || metrics.contains("shoal_vrrp_transitions_total{instance=\"VI_1\",state=\"master\"} 1"), "\(metrics.suffix(1500))")
            keepalived.crash()
        }
    }

    @Test func keepalivedMasterShoalBackupAndBack() async throws {
        try await Self.inLab { lab in
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            try lab.startWebServer(lab.b, letter: "B", behindDirector: false)
            var keepalived = try lab.startKeepalived(.init(priority: 150))
            _ = try lab.startShoal(.init(priority: 100))
            try await lab.waitForAnswer(Self.url4, "B")
            try await lab.waitForShoalState("backup")
            try await lab.waitFor("shoal not to hold the VIP") {
                let a = await lab.addresses(lab.a)
                return (!a.contains(NamespaceLab.vip4), a)
            }
            // Counted from here: a slow keepalived start may have let shoal be master for a moment before.
            let settled = await lab.shoalStatus()?["transitions"] as? [String: Int] ?? [:]

            // keepalived's host dies: shoal takes over.
            keepalived.crash()
            await lab.removeAddress(lab.b, "\(NamespaceLab.vip4)/24")
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(Self.url4, "A")

            // keepalived returns with the higher priority and preempts; shoal gives the VIP back.
            keepalived = try lab.startKeepalived(.init(priority: 150))
            try await lab.waitForAnswer(Self.url4, "B")
            try await lab.waitForShoalState("backup")
            try await lab.waitFor("shoal to release the VIP") {
                let a = await lab.addresses(lab.a)
                return (!a.contains(NamespaceLab.vip4), a)
            }
            let transitions = await lab.shoalStatus()?["transitions"] as? [String: Int] ?? [:]
            #expect(transitions["master"] == (settled["master"] ?? 0) + 1 && transitions["backup"] == (settled["backup"] ?? 0) + 1,
                    "before \(settled), after \(transitions)")
            keepalived.crash()
        }
    }

    @Test func unicastPeersWithNopreempt() async throws {
        try await Self.inLab { lab in
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            try lab.startWebServer(lab.b, letter: "B", behindDirector: false)
            var shoal = try lab.startShoal(.init(priority: 100, unicastPeer: "10.220.0.2"))
            try await lab.waitForShoalState("master")
            // keepalived has the higher priority but nopreempt: the master stays.
            let keepalived = try lab.startKeepalived(.init(priority: 150, preempt: false, unicastPeer: "10.220.0.1"))
            try await lab.waitFor("keepalived to enter BACKUP") {
                let log = keepalived.main.standardOutput + keepalived.main.standardError
                return (log.contains("Entering BACKUP STATE"), String(log.suffix(500)))
            }
            // Five of shoal's adverts (5 s at 1 s, keepalived's master-down interval is about 3.4 s) reach keepalived
            // by unicast: it stays backup, the VIP stays on shoal.
            let sent = await lab.shoalStatus()?["advertisements_sent"] as? Int ?? 0
            try await lab.waitFor("five more adverts from shoal") {
                let now = await lab.shoalStatus()?["advertisements_sent"] as? Int ?? 0
                return (now >= sent + 5, "\(now)")
            }
            #expect(!(keepalived.main.standardOutput + keepalived.main.standardError).contains("Entering MASTER STATE"))
            #expect(await lab.shoalStatus()?["state"] as? String == "master")
            try await lab.waitForAnswer(Self.url4, "A")
            shoal.kill()
            await lab.removeAddress(lab.a, "\(NamespaceLab.vip4)/24")
            try await lab.waitForAnswer(Self.url4, "B")
            // Shoal returns with preempt but a lower priority: keepalived keeps the VIP, shoal hears it by unicast.
            shoal = try lab.startShoal(.init(priority: 100, unicastPeer: "10.220.0.2"))
            try await lab.waitFor("shoal to settle as backup on keepalived's unicast adverts") {
                let status = await lab.shoalStatus()
                return (status?["state"] as? String == "backup" && (status?["advertisements_received"] as? Int ?? 0) > 0, "\(status ?? [:])")
            }
            #expect(await lab.fetch(Self.url4) == "B")
            keepalived.crash()
        }
    }

    @Test func ipv6BothWays() async throws {
        try await Self.inLab { lab in
            try lab.startWebServer(lab.a, letter: "A", behindDirector: true)
            try lab.startWebServer(lab.b, letter: "B", behindDirector: false)
            let shoal = try lab.startShoal(.init(priority: 150, ipv6: true))
            var keepalived = try lab.startKeepalived(.init(priority: 100, ipv6: true))
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(Self.url6, "A")
            shoal.kill()
            await lab.removeAddress(lab.a, "\(NamespaceLab.vip6)/64")
            try await lab.waitForAnswer(Self.url6, "B")
            // And back: keepalived dies, a new shoal (lower priority now) takes over.
            _ = try lab.startShoal(.init(priority: 50, ipv6: true))
            try await lab.waitForShoalState("backup")
            keepalived.crash()
            await lab.removeAddress(lab.b, "\(NamespaceLab.vip6)/64")
            try await lab.waitForShoalState("master")
            try await lab.waitForAnswer(Self.url6, "A")
            keepalived = try lab.startKeepalived(.init(priority: 100, ipv6: true))
            try await lab.waitForAnswer(Self.url6, "B")
            keepalived.crash()
        }
    }
}
