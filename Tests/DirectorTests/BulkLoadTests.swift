@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// Issue 10 #9: a batch of servers for one service goes in as one step, with exactly the list and scheduler
/// state that adding them one by one gives (the kernel's semantics), and errors naming the same line.
@Suite(.offCooperativePool) struct BulkLoadTests {
    static func config(_ n: Int, weight: Int) -> RealServerConfig {
        RealServerConfig(endpoint: Endpoint(IPAddress("10.1.\(n / 250).\(n % 250 + 1)")!, 80), forwarding: .masquerade,
                         weight: weight)
    }

    /// Weights with varied gcds, zeros included, so wrr's history matters.
    static func weight(_ n: Int) -> Int { [4, 6, 0, 10, 3, 8, 12, 1][n % 8] * (n % 5 + 1) }

    /// The same servers added one command at a time and as one batch; then the same decisions asked of both.
    @Test(arguments: SchedulerName.allCases)
    func aBatchEqualsOneByOne(_ scheduler: SchedulerName) throws {
        var single = try Fixture(scheduler), batched = try Fixture(scheduler)
        for fixture in [0, 1] {
            // Some servers and decisions first, so the scheduler has history when the batch arrives.
            for n in 0..<5 {
                let command = IPVSCommand.addServer(single.key, Self.config(n, weight: Self.weight(n)))
                if fixture == 0 { try single.table.apply(command) } else { try batched.table.apply(command) }
            }
        }
        #expect(single.decisions(7) == batched.decisions(7))
        let commands = (5..<200).map { IPVSCommand.addServer(single.key, Self.config($0, weight: Self.weight($0))) }
        for command in commands { try single.table.apply(command) }
        try batched.table.apply(batch: commands.enumerated().map { ($0.offset + 1, $0.element) })
        #expect(single.servers.map(\.endpoint) == batched.servers.map(\.endpoint))
        #expect(single.decisions(500) == batched.decisions(500))
    }

    @Test func aDuplicateInTheBatchNamesItsLineAndChangesNothing() throws {
        var fixture = try Fixture(.wrr)
        let key = fixture.key
        let before = fixture.servers.map(\.endpoint)
        let batch: [(line: Int, command: IPVSCommand)] = [
            (10, .addServer(key, Self.config(1, weight: 1))), (11, .addServer(key, Self.config(2, weight: 1))),
            (12, .addServer(key, Self.config(1, weight: 2))),
        ]
        #expect(throws: ConfigError(file: "r.rules", line: 12, field: "-r 10.1.0.2:80", "Destination already exists")) {
            try fixture.table.apply(batch: batch, file: "r.rules")
        }
        #expect(fixture.servers.map(\.endpoint) == before)
    }

    @Test func loadingManyServersStaysLinear() throws {
        // 20,000 servers took ~33 s before (quadratic); here it must finish, and the list must be whole and in
        // the kernel's order (newest first). No time bound: the machine is shared.
        var fixture = try Fixture(.wlc)
        let commands = (0..<20_000).map { IPVSCommand.addServer(fixture.key, Self.config($0, weight: 1 + $0 % 7)) }
        try fixture.table.apply(batch: commands.enumerated().map { ($0.offset + 1, $0.element) })
        #expect(fixture.servers.count == 20_000)
        #expect(fixture.servers.first?.endpoint == Self.config(19_999, weight: 1).endpoint)
        #expect(fixture.decisions(3).allSatisfy { $0 != "DROP" })
    }
}
