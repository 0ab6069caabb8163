import Director
import DirectorAdmin
import Foundation
import ShoalCore
import ShoalTestFixtures
import Testing

/// `shoal ipvsadm --director URL` against a real admin server (the shoal binary, run as a process).
@Suite struct DirectorCLITests {
    static var shoal: String {
        get throws { try ShoalBinary.executable() }
    }

    @Test func argumentsGoToTheDirectorAndAnswersComeBack() async throws {
        let token = "cli-token-\(UUID().uuidString)"
        let h = try await ServerHarness.start(token: token, host: "127.0.77.7")
        defer { Task { await h.stop() } }
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("admin-token-\(UUID().uuidString)").path
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let shoal = try Self.shoal
        let director = ["ipvsadm", "--director", h.base + "/", "--token-file", tokenFile]

        let add = try await TestProcess.run(shoal, director + ["-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.9:80", "-w", "3"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.isEmpty)
        #expect(await h.director.rules().contains("-a -t 127.0.0.1:8080 -r 127.0.0.9:8080 -g -w 3\n"))

        let list = try await TestProcess.run(shoal, director + ["-L", "-n"])
        #expect(list.status == 0)
        let table = await h.director.table
        #expect(list.stdout == (try IPVSListing.render(.list({ var o = ListOptions(); o.numeric = true; return o }()), table: table)))
        let connections = try await TestProcess.run(shoal, director + ["-L", "-n", "-c"])
        #expect(connections.stdout.contains("10.9.0.2:40000"))

        let bad = try await TestProcess.run(shoal, director + ["-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.9", "-w", "2147483648"])
        #expect(bad.status == 2)
        #expect(bad.stderr == "shoal: -w: illegal weight specified\n")
        let conflict = try await TestProcess.run(shoal, director + ["-d", "-t", "127.0.0.1:8080", "-r", "127.0.0.99:80"])
        #expect(conflict.status == 2)
        #expect(conflict.stderr == "shoal: -r 127.0.0.99:80: No such destination\n")

        // Without the token the director refuses.
        let anonymous = try await TestProcess.run(shoal, ["ipvsadm", "--director", h.base, "-L", "-n"])
        #expect(anonymous.status == 2)
        #expect(anonymous.stderr.hasPrefix("shoal: missing or wrong bearer token"))
    }

    @Test func exactlyOneTargetAndAReachableDirector() async throws {
        let shoal = try Self.shoal
        let both = try await TestProcess.run(shoal, ["ipvsadm", "--rules", "/tmp/x.rules", "--director", "http://127.0.0.1:1", "-L"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("at most one of --rules FILE or --director URL"))
        // Neither: the running kernel, as ipvsadm does (this machine's kernel has no IPVS).
        let neither = try await TestProcess.run(shoal, ["ipvsadm", "-L"])
        if !FileManager.default.fileExists(atPath: "/proc/net/ip_vs") {
            #expect(neither.status == 1)
            #expect(neither.stderr.hasPrefix("Can't initialize ipvs: "), "\(neither.stderr)")
        }
        // Nothing listens on 127.0.77.8:1.
        let down = try await TestProcess.run(shoal, ["ipvsadm", "--director", "http://127.0.77.8:1", "-L", "-n"])
        #expect(down.status == 2)
        #expect(down.stderr.hasPrefix("shoal: cannot reach the director at http://127.0.77.8:1"))
        let notURL = try await TestProcess.run(shoal, ["ipvsadm", "--director", "127.0.77.8:1", "-L"])
        #expect(notURL.status == 2)
        #expect(notURL.stderr.contains("is not an http:// or https:// URL"))
    }
}
