import Director
import DirectorNode
import ShoalCore
import Testing

/// A reload that changes the `failover:` block is refused as a whole: the VRRP instances would have to restart,
/// so the running table stays (127.0.220.x; the failover block is never started, nothing touches an interface).
@Suite struct FailoverReloadTests {
    @Test func reloadAddingAFailoverBlockChangesNothing() async throws {
        let first = """
            services:
              - listen: 127.0.220.1:8080
                scheduler: rr
                servers: [{address: 127.0.220.2:8001, weight: 1}]
            """
        let director = try await DirectorHarness(first)
        defer { Task { await director.stop() } }
        let changed = """
            services:
              - listen: 127.0.220.1:8080
                scheduler: rr
                servers: [{address: 127.0.220.2:8001, weight: 5}]
            failover:
              instances:
                - {name: VI_1, interface: shfo-none0, virtual_router_id: 51, virtual_addresses: [127.0.220.100]}
            """
        #expect(try await director.reload(changed) == false)
        #expect(director.weight("127.0.220.1:8080", "127.0.220.2:8001") == 1)
        #expect(director.server.failoverStatus.isEmpty)
        // The same weight change without the block applies.
        #expect(try await director.reload(first.replacingOccurrences(of: "weight: 1", with: "weight: 5")))
        #expect(director.weight("127.0.220.1:8080", "127.0.220.2:8001") == 5)
    }
}
