import Foundation
import HealthCheck
import ShoalCore
import Testing

/// Each checker against real listeners on 127.0.61.0/24: good peers, bad peers, garbage and closed ports.
@Suite struct CheckerTests {
    static let host = "127.0.61.1"

    @Test func tcpConnectsAndReportsRefused() async throws {
        let peer = try await PythonPeer("accept", host: Self.host)
        let good = await attempt(quick(.tcp), peer.endpoint)
        #expect(good.succeeded)
        #expect(good.message == "connected")
        let closed = try closedPort(on: Self.host)
        let refused = await attempt(quick(.tcp), closed)
        #expect(!refused.succeeded)
        #expect(refused.message == "connection refused")
    }

    @Test func connectPortOverrideIsProbedInsteadOfTheServerPort() async throws {
        let peer = try await PythonPeer("accept", host: Self.host)
        let closed = try closedPort(on: Self.host)
        var spec = quick(.tcp)
        spec.connectPort = peer.endpoint.port
        #expect(await attempt(spec, closed).succeeded)
        spec.connectIP = IPAddress("127.0.61.2")
        #expect(await attempt(spec, closed).message == "connection refused")
    }

    @Test func smtpBannerEhloQuit() async throws {
        let good = try await PythonPeer("smtp", host: Self.host)
        let ok = await attempt(quick(.smtp(heloName: "director.shoal.test")), good.endpoint)
        #expect(ok.succeeded, "\(ok.message)")
        #expect(ok.message == "SMTP 220, EHLO 250")

        let refusing = try await PythonPeer("smtp-554", host: Self.host)
        let r = await attempt(quick(.smtp(heloName: "d")), refusing.endpoint)
        #expect(!r.succeeded)
        #expect(r.message == "banner '554 5.3.2 no service here'")

        let noEhlo = try await PythonPeer("smtp-ehlo-502", host: Self.host)
        let e = await attempt(quick(.smtp(heloName: "d")), noEhlo.endpoint)
        #expect(!e.succeeded)
        #expect(e.message == "EHLO reply '502 5.5.1 no EHLO'")
    }

    @Test func pop3Greeting() async throws {
        let good = try await PythonPeer("pop3", host: Self.host)
        let ok = await attempt(quick(.pop3), good.endpoint)
        #expect(ok.succeeded, "\(ok.message)")
        let bad = try await PythonPeer("pop3-err", host: Self.host)
        let r = await attempt(quick(.pop3), bad.endpoint)
        #expect(!r.succeeded)
        #expect(r.message == "greeting '-ERR busy'")
    }

    @Test func imapGreeting() async throws {
        for mode in ["imap", "imap-preauth"] {
            let peer = try await PythonPeer(mode, host: Self.host)
            let r = await attempt(quick(.imap), peer.endpoint)
            #expect(r.succeeded, "\(mode): \(r.message)")
        }
        let bye = try await PythonPeer("imap-bye", host: Self.host)
        let r = await attempt(quick(.imap), bye.endpoint)
        #expect(!r.succeeded)
        #expect(r.message == "greeting '* BYE too busy'")
    }

    @Test func mailChecksNeverHangOnSilenceOrGarbage() async throws {
        let silent = try await PythonPeer("silent", host: Self.host)
        let s = await attempt(quick(.smtp(heloName: "d"), timeout: 0.3), silent.endpoint)
        #expect(!s.succeeded)
        #expect(s.message == "timeout after 0.3s")

        let garbage = try await PythonPeer("garbage", host: Self.host)
        for kind in [CheckKind.smtp(heloName: "d"), .pop3, .imap] {
            let g = await attempt(quick(kind, timeout: 0.5), garbage.endpoint)
            #expect(!g.succeeded, "\(kind)")
            // 5000 bytes without CR LF: over the 1000-octet line cap, so the line never completes.
            #expect(g.message == "timeout after 0.5s", "\(kind)")
        }

        let bareLF = try await PythonPeer("bare-lf", host: Self.host)
        let b = await attempt(quick(.pop3, timeout: 0.3), bareLF.endpoint)
        #expect(!b.succeeded)
        #expect(b.message == "timeout after 0.3s")
    }

    @Test func icpReplies() async throws {
        for mode in ["icp-echo", "icp-miss", "icp-stale"] {
            let peer = try await PythonPeer(mode, host: Self.host)
            let r = await attempt(quick(.icp), peer.endpoint)
            #expect(r.succeeded, "\(mode): \(r.message)")
        }
        let err = try await PythonPeer("icp-err", host: Self.host)
        #expect(await attempt(quick(.icp), err.endpoint).message == "ICP_OP_ERR")
        let badLength = try await PythonPeer("icp-badlength", host: Self.host)
        let l = await attempt(quick(.icp), badLength.endpoint)
        #expect(!l.succeeded)
        #expect(l.message.hasPrefix("malformed ICP reply (length field"))
        let garbage = try await PythonPeer("icp-garbage", host: Self.host)
        let g = await attempt(quick(.icp), garbage.endpoint)
        #expect(!g.succeeded)
        #expect(g.message == "malformed ICP reply (8 bytes, shorter than the header)")
    }

    @Test func icpSilenceTimesOutAndAClosedPortIsRefused() async throws {
        let silent = try await PythonPeer("accept", host: Self.host)  // a TCP listener: nothing on that UDP port
        let closed = await attempt(quick(.icp, timeout: 2), silent.endpoint)
        #expect(!closed.succeeded)
        #expect(closed.message == "connection refused" || closed.message == "timeout after 2s")
    }

    /// The commands get 60 s: the point is their exit codes, and spawning a shell on a loaded machine can take longer than a quick check's 0.2 s delay loop.
    @Test func commandExitCodesAndDynamicWeight() async throws {
        let up = await attempt(quick(.command(CommandCheck(command: "exit 0", timeout: 60))), Endpoint("127.0.61.1:1")!)
        #expect(up.succeeded && up.message == "exit 0" && up.dynamicWeight == nil)
        let down = await attempt(quick(.command(CommandCheck(command: "exit 1", timeout: 60))), Endpoint("127.0.61.1:1")!)
        #expect(!down.succeeded && down.message == "exit 1")
        let plain5 = await attempt(quick(.command(CommandCheck(command: "exit 5", timeout: 60))), Endpoint("127.0.61.1:1")!)
        #expect(!plain5.succeeded && plain5.message == "exit 5")
        let dynamic = quick(.command(CommandCheck(command: "exit 5", timeout: 60, dynamicWeight: true)))
        let weighted = await attempt(dynamic, Endpoint("127.0.61.1:1")!)
        #expect(weighted.succeeded)
        #expect(weighted.dynamicWeight == 3)
        #expect(weighted.message == "exit 5 (weight 3)")
        let dynamicDown = await attempt(quick(.command(CommandCheck(command: "exit 1", timeout: 60, dynamicWeight: true))), Endpoint("127.0.61.1:1")!)
        #expect(!dynamicDown.succeeded && dynamicDown.dynamicWeight == nil)
        let dynamicZero = await attempt(quick(.command(CommandCheck(command: "true", timeout: 60, dynamicWeight: true))), Endpoint("127.0.61.1:1")!)
        #expect(dynamicZero.succeeded && dynamicZero.dynamicWeight == nil)
    }

    @Test func commandTimeoutKillsIt() async throws {
        let slow = quick(.command(CommandCheck(command: "exec sleep 30", timeout: 0.3)))
        let r = await attempt(slow, Endpoint("127.0.61.1:1")!)
        #expect(!r.succeeded)
        #expect(r.message == "timeout after 0.3s")
    }

    @Test func notifyCommandRuns() async throws {
        let marker = "/tmp/hc-notify-\(UInt32.random(in: 1...UInt32.max))"
        let outcome = await ShellCommand.notify("echo quorum_down > \(marker)", logger: .init(label: "test"))
        #expect(outcome == .exited(0))
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "quorum_down\n")
        try? FileManager.default.removeItem(atPath: marker)
    }
}
