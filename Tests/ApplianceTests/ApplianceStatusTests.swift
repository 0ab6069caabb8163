import Appliance
import Foundation
import Testing

/// Health as status reports it: pool nodes by the director's checks, the shared tier by a probe.
@Suite struct ApplianceStatusTests {
    func plan() throws -> AppliancePlan {
        try AppliancePlan.make(try ApplianceSpec.parse("network: 127.0.190.0/24\ndirectory: {kind: ldap}\npools: {mail: 2}\ndirector: {services: [smtp, imap]}\n",
                                                       file: "s.yaml"), hosts: .loopback, stateDirectory: "/s")
    }

    func state(_ plan: AppliancePlan, running: Bool = true) -> ApplianceState {
        ApplianceState(supervisorPid: 1, updated: 0, nodes: plan.nodes.enumerated().map {
            ApplianceState.Node(name: $1.name, pid: running ? Int32(100 + $0) : nil, running: running, restarts: 0, lastExit: nil)
        })
    }

    func director(_ states: [String: String]) throws -> ApplianceStatus.DirectorView {
        let json = """
            {"services": [
              {"address": "127.0.190.1", "port": 2525, "servers": [
                {"endpoint": "127.0.190.11:2525", "state": "\(states["11"] ?? "UP")", "active_connections": 2},
                {"endpoint": "127.0.190.12:2525", "state": "\(states["12"] ?? "UP")", "active_connections": 0}]},
              {"address": "127.0.190.1", "port": 1143, "servers": [
                {"endpoint": "127.0.190.11:1143", "state": "UP", "active_connections": 0},
                {"endpoint": "127.0.190.12:1143", "state": "UP", "active_connections": 0},
                {"endpoint": "127.0.190.99:1143", "state": "DOWN"}]},
              {"fwmark": 5}
            ]}
            """
        return ApplianceStatus.DirectorView(json: try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    @Test func everythingUpIsHealthy() throws {
        let plan = try plan()
        let status = ApplianceStatus.make(plan: plan, state: state(plan), supervisorRunning: true, director: try director([:])) { _ in true }
        #expect(status.healthy)
        #expect(status.admin == "127.0.190.1:9900")
        #expect(status.services.map(\.name) == ["smtp", "imap"])
        #expect(status.services[0].servers.map(\.state) == ["UP", "UP"])
        #expect(status.services[0].servers[0].activeConnections == 2)
        #expect(status.services[0].servers[0].node == "mail-1")
        // A server the director has and the plan does not is listed too.
        #expect(status.services[1].servers.map(\.endpoint).last == "127.0.190.99:1143")
        #expect(status.nodes.first { $0.name == "mail-2" }?.ports["imap"] == 1143)
        #expect(status.text.contains("healthy"))
    }

    @Test func aNodeTheDirectorSeesDownIsUnhealthy() throws {
        let plan = try plan()
        let status = ApplianceStatus.make(plan: plan, state: state(plan), supervisorRunning: true, director: try director(["12": "DOWN"])) { _ in true }
        #expect(!status.healthy)
        #expect(status.nodes.filter { !$0.healthy }.map(\.name) == ["mail-2"])
        #expect(status.text.contains("NOT healthy"))
    }

    @Test func withoutTheDirectorOrTheSupervisorNothingIsHealthy() throws {
        let plan = try plan()
        let blind = ApplianceStatus.make(plan: plan, state: state(plan), supervisorRunning: true, director: nil) { _ in true }
        #expect(!blind.healthy)
        #expect(blind.services[0].servers.allSatisfy { $0.state == "unknown" })
        #expect(blind.nodes.first { $0.name == "directory" }?.healthy == true)
        let orphan = ApplianceStatus.make(plan: plan, state: state(plan), supervisorRunning: false, director: try director([:])) { _ in true }
        #expect(!orphan.healthy)
        #expect(orphan.nodes.allSatisfy { !$0.running && $0.pid == nil })
        let unreachable = ApplianceStatus.make(plan: plan, state: state(plan), supervisorRunning: true, director: try director([:])) { $0.kind != .ldap }
        #expect(unreachable.nodes.filter { !$0.healthy }.map(\.name) == ["directory"])
    }

    @Test func theAdminAPIsAnswerIsParsedWithoutTrapping() throws {
        #expect(ApplianceStatus.DirectorView(json: ["services": "no"]).servers.isEmpty)
        #expect(ApplianceStatus.DirectorView(json: [1, 2]).servers.isEmpty)
        #expect(ApplianceStatus.DirectorView(json: ["services": [["address": "a", "port": 1, "servers": [["state": "UP"]]]]]).servers["a:1"]?.isEmpty == true)
    }
}
