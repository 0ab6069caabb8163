import Foundation
import ShoalTestFixtures
import Testing

/// ICP over a multicast group (RFC 2186 §4; Squid's `multicast` peers and `mcast_groups`), in a network namespace
/// of its own whose loopback carries multicast (never the host's network): node A sends each query once, to the
/// group; B and C joined it, answer from their unicast addresses, and A fetches B's HIT.
@Suite(.serialized) struct ICPMulticastTests {
    @Test func oneQueryToTheGroupIsAnsweredByEveryMember() async throws {
        guard getuid() == 0 else { throw TestProcessError("network namespaces need root") }
        let ip = try requiredTool("ip", package: "iproute2")
        let nginx = try requiredTool("nginx", package: "nginx-light")
        let curl = try requiredTool("curl", package: "curl")
        let shoal = try ShoalBinary.executable()
        let namespace = "shic-\(getpid())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-icp-mcast-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory + "/root", withIntermediateDirectories: true)
        try "contents of page\n".write(toFile: directory + "/root/page", atomically: true, encoding: .utf8)
        try await TestProcess.run(ip, ["netns", "add", namespace]).succeeded()
        let processes = ProcessList()
        do {
            try await Self.farm(ip: ip, nginx: nginx, curl: curl, shoal: shoal, namespace: namespace, directory: directory, processes: processes)
        } catch {
            await Self.cleanUp(processes, ip: ip, namespace: namespace, directory: directory)
            throw error
        }
        await Self.cleanUp(processes, ip: ip, namespace: namespace, directory: directory)
    }

    /// The processes a test started (stopped off the concurrency pool at the end).
    final class ProcessList: @unchecked Sendable {
        var processes: [TestProcess] = []
    }

    /// Stops the processes and removes the namespace on a thread of its own: `stop` waits, and the pool must stay free.
    static func cleanUp(_ list: ProcessList, ip: String, namespace: String, directory: String) async {
        _ = try? await offPool {
            for process in list.processes { process.stop() }
            _ = try? TestProcess.runBlocking(ip, ["netns", "del", namespace])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func farm(ip: String, nginx: String, curl: String, shoal: String, namespace: String, directory: String,
                     processes list: ProcessList) async throws {
        func inNamespace(_ arguments: [String]) async throws -> TestProcess.Result {
            try await TestProcess.run(ip, ["netns", "exec", namespace] + arguments, timeout: 60)
        }
        try await TestProcess.run(ip, ["-n", namespace, "link", "set", "lo", "up", "multicast", "on"]).succeeded()
        try await TestProcess.run(ip, ["-n", namespace, "route", "add", "224.0.0.0/4", "dev", "lo"]).succeeded()

        try NginxConfig.text(directory: directory, servers: """
            server { listen 127.0.0.10:8080; root \(directory)/root; access_log \(directory)/origin.log;
                     add_header Cache-Control "max-age=300"; }
            """).write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        list.processes.append(try TestProcess(ip, ["netns", "exec", namespace, nginx] + NginxConfig.arguments(directory: directory), name: "origin"))
        let group = "239.255.31.3:3130"
        for (name, host, icp) in [
            ("cache-a", "127.0.0.11", "multicast: { group: \"\(group)\", ttl: 1 }\n  peers: [{ icp: \"127.0.0.12:3130\", http: \"127.0.0.12:3128\" }, { icp: \"127.0.0.13:3130\", http: \"127.0.0.13:3128\" }]"),
            ("cache-b", "127.0.0.12", "multicast_groups: [\"\(group)\"]"),
            ("cache-c", "127.0.0.13", "multicast_groups: [\"\(group)\"]"),
        ] {
            try """
                name: \(name)
                http: { listen: "\(host):3128" }
                admin: { listen: "\(host):9190" }
                origin: { servers: ["127.0.0.10:8080"] }
                store: { directory: \(directory)/\(name) }
                access_log: \(directory)/\(name).log
                icp:
                  listen: "\(host):3130"
                  \(icp)

                """.write(toFile: "\(directory)/\(name).yaml", atomically: true, encoding: .utf8)
            list.processes.append(try TestProcess(ip, ["netns", "exec", namespace, shoal, "cache-node", "--config", "\(directory)/\(name).yaml"],
                                                  name: name))
        }
        func get(_ host: String, _ path: String) async throws -> String {
            try await inNamespace([curl, "-sS", "--max-time", "10", "http://\(host)\(path)"]).stdout
        }
        for host in ["127.0.0.10:8080", "127.0.0.11:9190", "127.0.0.12:9190", "127.0.0.13:9190"] {
            #expect(try await eventually(within: 120) { (try? await inNamespace([curl, "-s", "-o", "/dev/null", "http://\(host)/"]))?.status == 0 })
        }
        #expect(try await get("127.0.0.12:3128", "/page") == "contents of page\n")  // B fills from the origin
        #expect(try await get("127.0.0.11:3128", "/page") == "contents of page\n")  // A asks the group, B has it
        let originFetches = (try String(contentsOfFile: directory + "/origin.log", encoding: .utf8)).split(separator: "\n")
            .filter { $0.contains("GET /page ") }.count
        #expect(originFetches == 1)
        #expect(try await eventually(within: 60) {
            ((try? String(contentsOfFile: directory + "/cache-a.log", encoding: .utf8)) ?? "").contains("SIBLING_HIT/127.0.0.12")
        })
        func metric(_ host: String, _ line: String) async throws -> Int? {
            let text = try await get("\(host):9190", "/metrics")
            return text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Int($0.split(separator: " ").last!) }
        }
        // One datagram left A for two peers; both members of the group received it and answered.
        #expect(try await metric("127.0.0.11", "shoal_icp_sent_total{opcode=\"query\"}") == 1)
        #expect(try await metric("127.0.0.11", "shoal_icp_received_total{opcode=\"hit\"}") == 1)
        #expect(try await metric("127.0.0.11", "shoal_icp_received_total{opcode=\"miss\"}") == 1)
        #expect(try await metric("127.0.0.12", "shoal_icp_received_total{opcode=\"query\"}") == 1)
        #expect(try await metric("127.0.0.13", "shoal_icp_received_total{opcode=\"query\"}") == 1)
    }
}
