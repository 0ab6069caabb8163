import Foundation
import ShoalTestFixtures
import Testing

/// `shoal director --dataplane nft` on this host's kernel, in network namespaces, with real connections:
/// VS/NAT rr and wrr send each connection where `shoal simulate` says, sh keeps each client on one server,
/// VS/DR reaches every server, a reload follows, a refused reload changes nothing, and stop removes the tables.
@Suite(.serialized) struct NFTNamespaceTests {
    static let rules = """
        -A -t 10.210.1.1:80 -s rr
        -a -t 10.210.1.1:80 -r 10.210.2.11:8080 -m -w 1
        -a -t 10.210.1.1:80 -r 10.210.2.12:8080 -m -w 1
        -a -t 10.210.1.1:80 -r 10.210.2.13:8080 -m -w 1
        -A -t 10.210.1.1:81 -s wrr
        -a -t 10.210.1.1:81 -r 10.210.2.11:8080 -m -w 3
        -a -t 10.210.1.1:81 -r 10.210.2.12:8080 -m -w 2
        -a -t 10.210.1.1:81 -r 10.210.2.13:8080 -m -w 1
        -A -t 10.210.1.1:82 -s sh
        -a -t 10.210.1.1:82 -r 10.210.2.11:8080 -m -w 1
        -a -t 10.210.1.1:82 -r 10.210.2.12:8080 -m -w 1
        -a -t 10.210.1.1:82 -r 10.210.2.13:8080 -m -w 1
        -A -t 10.210.3.1:8080 -s wrr
        -a -t 10.210.3.1:8080 -r 10.210.2.11:8080 -g -w 2
        -a -t 10.210.3.1:8080 -r 10.210.2.12:8080 -g -w 1
        -a -t 10.210.3.1:8080 -r 10.210.2.13:8080 -g -w 1

        """

    /// What `shoal simulate` picks for `count` connections to `vip` from 10.210.1.2 (as real-server names).
    static func simulated(_ rules: String, vip: String, count: Int, in root: URL) async throws -> [String] {
        let rulesPath = root.appendingPathComponent("simulate.rules").path
        let tracePath = root.appendingPathComponent("simulate.trace").path
        try rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        let trace = (0..<count).map { "\(Double($0) / 1000),10.210.1.2:\(30000 + $0),tcp,\(vip),0.0005" }.joined(separator: "\n")
        try (trace + "\n").write(toFile: tracePath, atomically: true, encoding: .utf8)
        let result = try await ShoalBinary.run(["simulate", "--rules", rulesPath, "--trace", tracePath])
        guard result.status == 0 else { throw TestProcessError("shoal simulate failed: \(result)") }
        let picks = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }.map { line -> String in
            let server = line.components(separatedBy: " -> ").last ?? ""
            return server.hasPrefix("10.210.2.1") ? "r" + String(server.dropFirst("10.210.2.1".count).prefix(1)) : server
        }
        return Array(picks)
    }

    static func flows(from source: String = "10.210.1.2", firstPort: Int, count: Int, to vip: String, port: Int) -> [Flow] {
        (0..<count).map { Flow(source: source, sourcePort: firstPort + $0, to: vip, port: port) }
    }

    @Test func directorForwardsThroughNftablesAsTheSchedulerSays() async throws {
        let net = try await NFTNamespaceNetwork()
        var director: TestProcess?
        do {
            let rulesPath = net.root.appendingPathComponent("director.rules").path
            try Self.rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
            let running = try TestProcess(net.ip, ["netns", "exec", net.director, net.shoal, "director", "--rules", rulesPath,
                                                   "--dataplane", "nft", "--nft-device", "d0"], name: "director")
            director = running
            try await running.waitUntil("director started", timeout: 60) { running.standardError.contains("director started") || !running.isRunning }
            #expect(running.isRunning, "\(running.standardError)")

            // VS/NAT rr and wrr: connection n goes where the IPVS scheduler sends connection n.
            let rr = try await net.connect(Self.flows(firstPort: 20000, count: 9, to: "10.210.1.1", port: 80))
            let rrSimulated = try await Self.simulated(Self.rules, vip: "10.210.1.1:80", count: 9, in: net.root)
            #expect(rr == rrSimulated)
            #expect(rr == ["r3", "r2", "r1", "r3", "r2", "r1", "r3", "r2", "r1"])
            let wrr = try await net.connect(Self.flows(firstPort: 20100, count: 12, to: "10.210.1.1", port: 81))
            let wrrSimulated = try await Self.simulated(Self.rules, vip: "10.210.1.1:81", count: 12, in: net.root)
            #expect(wrr == wrrSimulated)
            // ip_vs_wrr's first pass (cw 0) takes every server once, newest first; then passes at cw 3, 1.
            #expect(wrr == ["r3", "r2", "r1", "r1", "r2", "r1", "r3", "r2", "r1", "r1", "r2", "r1"])

            // sh: each client address stays on one server; the addresses spread over more than one.
            var homes: [String: Set<String>] = [:]
            for round in 0..<2 {
                for host in 10...17 {
                    let answer = try await net.connect([Flow(source: "10.210.1.\(host)", sourcePort: 20200 + round * 10 + host, to: "10.210.1.1", port: 82)])
                    homes["10.210.1.\(host)", default: []].formUnion(answer)
                }
            }
            #expect(homes.values.allSatisfy { $0.count == 1 && $0.first?.hasPrefix("r") == true }, "\(homes)")
            #expect(Set(homes.values.compactMap(\.first)).count >= 2, "\(homes)")

            // VS/DR: the frame goes out unchanged to a real server holding the VIP; every connection completes
            // (all its packets hash to one server) and every server takes some.
            let dr = try await net.connect(Self.flows(firstPort: 20300, count: 40, to: "10.210.3.1", port: 8080))
            #expect(dr.allSatisfy { $0.hasPrefix("r") }, "\(dr)")
            #expect(Set(dr) == ["r1", "r2", "r3"], "\(dr)")

            // A reload without r3 on :80: the rules follow, and the kernel again matches the scheduler.
            let reloaded = Self.rules.replacingOccurrences(of: "-a -t 10.210.1.1:80 -r 10.210.2.13:8080 -m -w 1\n", with: "")
            try reloaded.write(toFile: rulesPath, atomically: true, encoding: .utf8)
            running.signal(SIGHUP)
            try await running.waitUntil("the reload", timeout: 30) { running.standardError.contains("configuration reloaded") }
            let deadline = Date().addingTimeInterval(30)
            while try await net.nft(["list", "table", "inet", "shoal"]).split(separator: "\n")
                .contains(where: { $0.contains("dport 80 ") && $0.contains("10.210.2.13") }) {
                guard Date() < deadline else { Issue.record("the :80 rule still names 10.210.2.13"); break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let afterReload = try await net.connect(Self.flows(firstPort: 20400, count: 6, to: "10.210.1.1", port: 80))
            let reloadSimulated = try await Self.simulated(reloaded, vip: "10.210.1.1:80", count: 6, in: net.root)
            #expect(afterReload == reloadSimulated)
            #expect(Set(afterReload) == ["r1", "r2"])

            // A reload nftables cannot carry (lc) is refused and the kernel keeps exactly its rules.
            let before = try await net.nft(["-j", "list", "table", "inet", "shoal"])
            try reloaded.replacingOccurrences(of: "-A -t 10.210.1.1:80 -s rr", with: "-A -t 10.210.1.1:80 -s lc")
                .write(toFile: rulesPath, atomically: true, encoding: .utf8)
            running.signal(SIGHUP)
            try await running.waitUntil("the refused reload", timeout: 30) { running.standardError.contains("reload failed") }
            #expect(running.standardError.contains("lc scheduler needs per-server connection counts"), "\(running.standardError)")
            #expect(try await net.nft(["-j", "list", "table", "inet", "shoal"]) == before)

            // Stop: the director removes its tables.
            running.signal(SIGTERM)
            #expect(try await running.wait(timeout: 60) == 0, "\(running.standardError)")
            let tables = try await net.nft(["list", "tables"])
            #expect(!tables.contains("shoal"), "\(tables)")
        } catch {
            director?.stop(grace: 2)
            await net.tearDown()
            throw error
        }
        director?.stop(grace: 2)
        await net.tearDown()
    }

    /// Per-real-server counters: `-L -n --stats` through the admin API shows what the kernel counted for each
    /// server (VS/NAT: connections, packets and bytes both ways; VS/DR: packets and bytes in), matching the
    /// connections each server really answered.
    @Test func statsShowWhatNftablesCountedPerServer() async throws {
        let net = try await NFTNamespaceNetwork()
        var director: TestProcess?
        do {
            let configPath = net.root.appendingPathComponent("director.yaml").path
            try """
                director:
                  admin: {listen: 10.210.1.1:9180}
                services:
                  - listen: 10.210.1.1:80
                    scheduler: rr
                    servers: [{address: 10.210.2.11:8080}, {address: 10.210.2.12:8080}]

                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            let running = try TestProcess(net.ip, ["netns", "exec", net.director, net.shoal, "director", "--config", configPath,
                                                   "--dataplane", "nft", "--nft-device", "d0"], name: "director")
            director = running
            try await running.waitUntil("director started", timeout: 60) { running.standardError.contains("director started") || !running.isRunning }
            #expect(running.isRunning, "\(running.standardError)")
            func ipvsadm(_ arguments: [String]) async throws -> String {
                let result = try await TestProcess.run(net.ip, ["netns", "exec", net.director, net.shoal, "ipvsadm", "--director",
                                                                "http://10.210.1.1:9180"] + arguments, timeout: 60)
                guard result.status == 0 else { throw TestProcessError("shoal ipvsadm \(arguments): \(result)") }
                return result.stdout
            }
            // A VS/DR service added through the admin API: the dataplane follows, counters and all.
            _ = try await ipvsadm(["-A", "-t", "10.210.3.1:8080", "-s", "wrr"])
            _ = try await ipvsadm(["-a", "-t", "10.210.3.1:8080", "-r", "10.210.2.11:8080", "-g", "-w", "1"])
            _ = try await ipvsadm(["-a", "-t", "10.210.3.1:8080", "-r", "10.210.2.12:8080", "-g", "-w", "1"])
            let deadline = Date().addingTimeInterval(60)
            while try await !net.nft(["list", "table", "netdev", "shoal"]).contains("10.210.2.12") {
                guard Date() < deadline else { Issue.record("the DR rules never appeared"); break }
                try await Task.sleep(for: .milliseconds(100))
            }

            let nat = try await net.connect(Self.flows(firstPort: 21000, count: 6, to: "10.210.1.1", port: 80))
            let dr = try await net.connect(Self.flows(firstPort: 21100, count: 12, to: "10.210.3.1", port: 8080))
            #expect(nat.sorted() == ["r1", "r1", "r1", "r2", "r2", "r2"], "\(nat)")
            #expect(dr.allSatisfy { $0 == "r1" || $0 == "r2" }, "\(dr)")

            // The director copies the counters every second: wait (60 s at most) until the NAT connections show.
            func rows(_ text: String) -> [String: [UInt64]] {
                var rows: [String: [UInt64]] = [:], service = ""
                for line in text.split(separator: "\n") {
                    let fields = line.split(separator: " ")
                    guard fields.count == 7 || fields.count == 6 else { continue }
                    let numbers = fields.suffix(5).compactMap { UInt64($0) }
                    guard numbers.count == 5 else { continue }
                    if fields[0] == "->" { rows[service + " " + fields[1]] = numbers } else { service = String(fields[1]); rows[service] = numbers }
                }
                return rows
            }
            var stats: [String: [UInt64]] = [:], text = ""
            let statsDeadline = Date().addingTimeInterval(60)
            repeat {
                text = try await ipvsadm(["-L", "-n", "--stats", "--exact"])
                stats = rows(text)
                // A copy taken while the flows ran shows part of them: wait for one taken after (all DR flows' packets in).
                if stats["10.210.1.1:80"]?[0] == 6 && (stats["10.210.3.1:8080"]?[1] ?? 0) >= 3 * UInt64(dr.count) { break }
                try await Task.sleep(for: .milliseconds(500))
            } while Date() < statsDeadline
            // Conns InPkts OutPkts InBytes OutBytes per server: NAT connections as answered, packets both ways.
            for (name, server) in [("r1", "10.210.2.11:8080"), ("r2", "10.210.2.12:8080")] {
                let natRow = try #require(stats["10.210.1.1:80 " + server], "\(text)")
                #expect(natRow[0] == UInt64(nat.filter { $0 == name }.count), "\(text)")
                // Each answered HTTP connection is at least SYN, ACK, request, FIN in and SYN-ACK, answer, FIN out.
                #expect(natRow[1] >= 4 * natRow[0] && natRow[2] >= 3 * natRow[0] && natRow[3] > 0 && natRow[4] > natRow[2] * 40, "\(text)")
                let drRow = try #require(stats["10.210.3.1:8080 " + server], "\(text)")
                let answered = UInt64(dr.filter { $0 == name }.count)
                #expect(answered == 0 ? drRow[1] == 0 : drRow[1] >= 3 * answered, "\(text)")
                #expect(drRow[2] == 0 && drRow[4] == 0, "\(text)")
            }
            // A service's counters are its servers' sums.
            let natService = try #require(stats["10.210.1.1:80"], "\(text)")
            let natServers = [stats["10.210.1.1:80 10.210.2.11:8080"] ?? [], stats["10.210.1.1:80 10.210.2.12:8080"] ?? []]
            #expect(natService == (0..<5).map { i in natServers.reduce(0) { $0 + ($1.count == 5 ? $1[i] : 0) } }, "\(text)")
            // The kernel's own counters agree (the rules count, not the director).
            let listed = try await net.nft(["list", "counters"])
            #expect(listed.contains("counter s0-r0-in") && listed.contains("counter s0-r0-conn"), "\(listed)")

            running.signal(SIGTERM)
            #expect(try await running.wait(timeout: 60) == 0, "\(running.standardError)")
        } catch {
            director?.stop(grace: 2)
            await net.tearDown()
            throw error
        }
        director?.stop(grace: 2)
        await net.tearDown()
    }
}
