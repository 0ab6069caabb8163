import Appliance
import Foundation
import Testing

/// The netns host's plan and topology, without making any namespace: the loopback network moved to 10/8, a
/// namespace per node plus the client's and the bridge's, the `ip` commands that wire them, and scale.
@Suite struct NetnsTopologyTests {
    func plan(hosts: HostKind = .netns, replicas: [String: Int] = [:]) throws -> AppliancePlan {
        try AppliancePlan.make(try ApplianceSpec.parse(AppliancePlanTests.mailSpec, file: "spec.yaml"), hosts: hosts, stateDirectory: "/state/mc",
                               replicas: replicas, namespacePrefix: "sha-t-")
    }

    @Test func aLoopbackNetworkMovesTo10Slash8() throws {
        let plan = try plan()
        #expect(plan.network == "10.0.190.0/24")
        #expect(plan.nodes.map(\.address) == ["10.0.190.2", "10.0.190.11", "10.0.190.12", "10.0.190.13", "10.0.190.1"])
        #expect(plan.services.map(\.endpoint) == ["10.0.190.1:2525", "10.0.190.1:1587", "10.0.190.1:1143", "10.0.190.1:1110"])
        #expect(plan.namespacePrefix == "sha-t-mc-")
        #expect(ApplianceNetwork(base: 0xC0A8_0500).namespaced.description == "192.168.5.0/24")
        // Other hosts have no namespaces.
        let loopback = try self.plan(hosts: .loopback)
        #expect(loopback.namespacePrefix == nil)
        #expect(NetnsTopology(plan: loopback) == nil)
    }

    @Test func aNamespacePerNodeAndForClientsOnOneBridge() throws {
        let topology = try #require(NetnsTopology(plan: try plan()))
        #expect(topology.namespaces == ["sha-t-mc-directory", "sha-t-mc-mail-1", "sha-t-mc-mail-2", "sha-t-mc-mail-3", "sha-t-mc-director",
                                        "sha-t-mc-client", "sha-t-mc-br"])
        #expect(topology.client == "sha-t-mc-client")
        #expect(topology.clientAddress == "10.0.190.250")
        #expect(topology.namespace(holding: "10.0.190.1") == "sha-t-mc-director")
        #expect(topology.namespace(holding: "10.0.190.99") == nil)
        #expect(topology.hosts.map(\.bridgePort) == ["v2", "v11", "v12", "v13", "v1", "v250"])
        #expect(topology.owns("sha-t-mc-mail-1"))
        #expect(!topology.owns("sha-t-mcx"))
        #expect(topology.wrap("mail-2", ["/bin/shoal", "mail-node"], ip: "/usr/sbin/ip")
                == ["/usr/sbin/ip", "netns", "exec", "sha-t-mc-mail-2", "/bin/shoal", "mail-node"])
    }

    @Test func theCommandsMakeTheBridgeFirstThenEachHost() throws {
        let topology = try #require(NetnsTopology(plan: try plan()))
        let commands = topology.setupCommands
        #expect(commands.first == ["netns", "add", "sha-t-mc-br"])
        #expect(commands.contains(["-n", "sha-t-mc-br", "link", "add", "br0", "type", "bridge"]))
        #expect(commands.filter { $0.starts(with: ["netns", "add"]) }.count == 7)
        let mail1 = topology.hosts[1]
        #expect(topology.commands(for: mail1) == [
            ["netns", "add", "sha-t-mc-mail-1"], ["-n", "sha-t-mc-mail-1", "link", "set", "lo", "up"],
            ["-n", "sha-t-mc-br", "link", "add", "v11", "type", "veth", "peer", "name", "eth0", "netns", "sha-t-mc-mail-1"],
            ["-n", "sha-t-mc-br", "link", "set", "v11", "master", "br0", "up"],
            ["-n", "sha-t-mc-mail-1", "addr", "add", "10.0.190.11/24", "dev", "eth0"],
            ["-n", "sha-t-mc-mail-1", "link", "set", "eth0", "up"],
        ])
        // Every namespace a host command names is one the topology made.
        let made = Set(commands.filter { $0.starts(with: ["netns", "add"]) }.map { $0[2] })
        for command in commands where command.first == "-n" { #expect(made.contains(command[1]), "\(command)") }
    }

    @Test func scaleKeepsThePrefixAndAddsHostsOnTheSameSegment() throws {
        let current = try plan()
        let next = current.replacingPools(with: try plan(replicas: ["mail": 5]))
        #expect(next.namespacePrefix == current.namespacePrefix)
        let topology = try #require(NetnsTopology(plan: next))
        #expect(topology.namespace(holding: "10.0.190.15") == "sha-t-mc-mail-5")
        // The plan survives its JSON round trip with the prefix (the supervisor reads it from plan.json).
        let decoded = try JSONDecoder().decode(AppliancePlan.self, from: try JSONEncoder().encode(next))
        #expect(NetnsTopology(plan: decoded) == topology)
    }
}
