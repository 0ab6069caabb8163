import Foundation
import ShoalTestFixtures
import Testing

/// Two `shoal web-node`s on one document root behind `shoal director` with an HTTP health check
/// (127.0.150.31-33): both answer through the virtual address, an update on the root is seen through both,
/// and a node that stops is taken out.
@Suite(.serialized) struct WebFarmCLITests {
    @Test func twoWebNodesOnOneRootBehindTheDirector() async throws {
        let dir = try WebNodeCLITests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "<html>farm v1</html>\n".write(toFile: dir + "/root/index.html", atomically: true, encoding: .utf8)
        let hosts = ["127.0.150.31", "127.0.150.32", "127.0.150.33"]
        let ports = try hosts.map { try TestPorts.free(host: $0) }
        var nodes: [TestProcess] = []
        defer { for node in nodes { node.kill() } }
        for (index, name) in ["node-a", "node-b"].enumerated() {
            let config = dir + "/\(name).yaml"
            try "root: \(dir)/root\nhttp: { listen: \"\(hosts[index]):\(ports[index])\" }\nserver_name: \(name)\ncache: { revalidate_ms: 0 }\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let node = try TestProcess(try ShoalBinary.executable(), ["web-node", "--config", config])
            nodes.append(node)
            try await TestPorts.waitForListener(hosts[index], ports[index], process: node)
        }
        let directorConfig = dir + "/director.yaml"
        try """
            services:
              - listen: \(hosts[2]):\(ports[2])
                scheduler: rr
                check: {type: http, path: /index.html, status: 200-299, delay_loop: 0.5, connect_timeout: 1, retry: 0, rise: 1, fall: 1}
                servers: [{address: \(hosts[0]):\(ports[0])}, {address: \(hosts[1]):\(ports[1])}]
            """.write(toFile: directorConfig, atomically: true, encoding: .utf8)
        let director = try TestProcess(try ShoalBinary.executable(), ["director", "--config", directorConfig])
        defer { director.kill() }
        try await TestPorts.waitForListener(hosts[2], ports[2], process: director)
        let curl = try requiredTool("curl", package: "curl")
        let vip = "http://\(hosts[2]):\(ports[2])/index.html"
        func ask() async throws -> (server: String, body: String) {
            let result = try await TestProcess.run(curl, ["-sS", "--max-time", "30", "-D", "-", vip])
            let server = result.stdout.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("server:") } ?? ""
            return (String(server.dropFirst("server:".count)).trimmingCharacters(in: .whitespaces), result.stdout)
        }
        // Both nodes answer through the virtual address once their checks pass.
        var seen: Set<String> = []
        #expect(await eventually { seen.insert((try? await ask())?.server ?? ""); return seen.isSuperset(of: ["node-a", "node-b"]) },
                "\(seen)")
        // The webmaster updates the shared root (write, then rename): every node serves the new page.
        try "<html>farm v2</html>\n".write(toFile: dir + "/root/index.html.new", atomically: false, encoding: .utf8)
        #expect(rename(dir + "/root/index.html.new", dir + "/root/index.html") == 0)
        var fresh: Set<String> = []
        for _ in 0..<6 {
            let answer = try await ask()
            #expect(answer.body.contains("farm v2"), "\(answer.server) served \(answer.body)")
            fresh.insert(answer.server)
        }
        #expect(fresh == ["node-a", "node-b"])
        // node-a stops: the check takes it out and node-b answers everything.
        nodes[0].signal(SIGTERM)
        #expect(try await nodes[0].wait() == 0)
        #expect(await eventually {
            var servers: [String] = []
            for _ in 0..<4 { servers.append((try? await ask())?.server ?? "") }
            return servers.allSatisfy { $0 == "node-b" }
        })
    }
}
