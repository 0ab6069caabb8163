import Appliance
import Foundation
import Testing

/// Planning: addresses by tier and pool, ports, replicas overridden by scale, free ports, the printed plan.
@Suite struct AppliancePlanTests {
    static let mailSpec = """
        name: mc
        network: 127.0.190.0/24
        directory: {kind: ldap, users: [{login: alice, password: a}]}
        pools: {mail: 3}
        """

    func plan(_ text: String, replicas: [String: Int] = [:]) throws -> AppliancePlan {
        try AppliancePlan.make(try ApplianceSpec.parse(text, file: "spec.yaml"), hosts: .loopback, stateDirectory: "/state/mc", replicas: replicas)
    }

    @Test func theMailClusterPlan() throws {
        let plan = try plan(Self.mailSpec)
        #expect(plan.nodes.map(\.name) == ["directory", "mail-1", "mail-2", "mail-3", "director"])
        #expect(plan.nodes.map(\.address) == ["127.0.190.2", "127.0.190.11", "127.0.190.12", "127.0.190.13", "127.0.190.1"])
        #expect(plan.node("directory")?.kind == .ldap)
        #expect(plan.node("directory")?.endpoint("ldap") == "127.0.190.2:3389")
        #expect(plan.node("mail-2")?.listeners.map(\.name) == ["smtp", "lmtp", "submission", "imap", "pop3"])
        #expect(plan.node("mail-2")?.endpoint("imap") == "127.0.190.12:1143")
        #expect(plan.director.endpoint("admin") == "127.0.190.1:9900")
        #expect(plan.services.map(\.endpoint) == ["127.0.190.1:2525", "127.0.190.1:1587", "127.0.190.1:1143", "127.0.190.1:1110"])
        #expect(plan.services.allSatisfy { $0.pool == "mail" })
        #expect(plan.members(of: "mail").count == 3)
        #expect(plan.storeRoot == "/state/mc/shared/mail")
        #expect(plan.origin == nil)
    }

    @Test func sqliteNeedsNoDirectoryNode() throws {
        let plan = try plan("network: 127.0.190.0/24\npools: {mail: 1}\n")
        #expect(!plan.nodes.contains { $0.kind == .ldap })
        #expect(plan.directoryKind == .sqlite)
    }

    @Test func eachPoolHasItsOwnBlockOfAddresses() throws {
        let plan = try plan("network: 127.0.190.0/24\npools: {mail: 2, web: 2, cache: 1}\n")
        #expect(plan.members(of: "mail").map(\.address) == ["127.0.190.11", "127.0.190.12"])
        #expect(plan.members(of: "web").map(\.address) == ["127.0.190.51", "127.0.190.52"])
        #expect(plan.members(of: "cache").map(\.address) == ["127.0.190.91"])
        #expect(plan.node("origin")?.address == "127.0.190.3")
        #expect(plan.origin == "127.0.190.3:8000")
        #expect(plan.node("cache-1")?.endpoint("icp") == "127.0.190.91:3130")
        // The last address of the sixth pool's block is still in the /24.
        #expect(AppliancePlan.poolBase(PoolSpec.maximumPools - 1) + PoolSpec.maximumReplicas <= 254)
    }

    @Test func scalingChangesOnlyThePool() throws {
        let three = try plan(Self.mailSpec)
        let five = three.replacingPools(with: try plan(Self.mailSpec, replicas: ["mail": 5]))
        #expect(five.members(of: "mail").map(\.name) == ["mail-1", "mail-2", "mail-3", "mail-4", "mail-5"])
        #expect(five.members(of: "mail").map(\.address).last == "127.0.190.15")
        #expect(five.director == three.director)
        #expect(five.services == three.services)
        #expect(five.node("directory") == three.node("directory"))
        let one = three.replacingPools(with: try plan(Self.mailSpec, replicas: ["mail": 1]))
        #expect(one.members(of: "mail").map(\.name) == ["mail-1"])
        let none = three.replacingPools(with: try plan(Self.mailSpec, replicas: ["mail": 0]))
        #expect(none.members(of: "mail").isEmpty)
        #expect(throws: AppliancePlanError.self) { try plan(Self.mailSpec, replicas: ["mail": 40]) }
        #expect(throws: AppliancePlanError.self) { try plan(Self.mailSpec, replicas: ["web": 2]) }
    }

    @Test func freePortsAreChosenOnceAndShared() throws {
        var next = 40000
        let plan = try plan("network: 127.0.190.0/24\npools: {web: 1}\ndirector: {admin_port: 0, services: [{protocol: http, port: 0}]}\n")
            .resolvingFreePorts { _ in next += 1; return next }
        #expect(plan.services[0].port == 40001)
        #expect(plan.director.port("http") == 40001)
        #expect(plan.director.port("admin") == 40002)
        #expect(plan.node("web-1")?.port("http") == 8080)
    }

    @Test func loopbackNeedsALoopbackNetwork() throws {
        let spec = try ApplianceSpec.parse("network: 10.1.2.0/24\npools: {web: 1}\n", file: "spec.yaml")
        #expect(throws: AppliancePlanError.self) { try AppliancePlan.make(spec, hosts: .loopback, stateDirectory: "/s") }
        #expect(try AppliancePlan.make(spec, hosts: .netns, stateDirectory: "/s").director.address == "10.1.2.1")
    }

    @Test func thePrintedPlanSaysWhatRunsWhere() throws {
        let text = try plan(Self.mailSpec).text
        #expect(text.contains("appliance mc (spec.yaml) on loopback hosts, network 127.0.190.0/24"))
        #expect(text.contains("mail-3"))
        #expect(text.contains("127.0.190.13"))
        #expect(text.contains("imap 1143"))
        #expect(text.contains("127.0.190.1:1143"))
        #expect(text.contains("[mail-1 mail-2 mail-3], check imap"))
        #expect(text.contains("slapd on 127.0.190.2:3389"))
        #expect(text.contains("store       /state/mc/shared/mail"))
    }

    @Test func thePlanRoundTripsThroughJSON() throws {
        let plan = try plan(Self.mailSpec)
        let decoded = try JSONDecoder().decode(AppliancePlan.self, from: JSONEncoder().encode(plan))
        #expect(decoded == plan)
    }
}
