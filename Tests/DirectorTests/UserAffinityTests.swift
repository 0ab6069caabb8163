@testable import Director
import ShoalCore
import Testing
import ShoalTestFixtures

/// Mail users keyed into mh (Maglev): a user keeps one server from any address, weights are honoured, and
/// when one of N servers leaves only its users (about 1/N of all) move.
@Suite(.offCooperativePool) struct UserAffinityTests {
    static let users = (0..<6000).map { "user\($0)@shoal.test" }

    /// The server of each user, each from a client address of its own.
    static func placement(_ f: inout Fixture, users: [String] = users) -> [String: String] {
        var placed: [String: String] = [:]
        for (n, user) in users.enumerated() {
            let client = Endpoint(IPAddress("172.20.\(n / 250 % 250).\(n % 250 + 1)")!, UInt16(20000 + n % 30000))
            let request = ConnectionRequest(proto: .tcp, client: client, virtual: Endpoint("10.0.0.1:143")!,
                                            affinityKey: UserAffinityKey.key(user))
            placed[user] = f.table.accept(request, at: .zero).destination?.description ?? "DROP"
        }
        return placed
    }

    static func fixture(weights: [(String, Int)]) throws -> Fixture {
        var f = try Fixture(.mh, vip: "10.0.0.1:143", flags: [.fallback])
        for (server, weight) in weights { try f.add(server, weight: weight) }
        return f
    }

    /// The IMAP and the POP3 service of a mail director list the same nodes on different ports: with
    /// `addressOnly` (what mail services set) every user gets the same node address from both; without it the
    /// ports take part in the permutations and many users are split between two nodes.
    @Test func addressOnlyPlacesAUserOnOneNodeWhateverTheServicePort() throws {
        let nodes = ["192.168.1.1", "192.168.1.2", "192.168.1.3"]
        func hosts(port: Int, flags: SchedulerFlags) throws -> [String: String] {
            var f = try Fixture(.mh, vip: "10.0.0.1:\(port)", flags: flags)
            for (n, node) in nodes.enumerated() { try f.add("\(node):\(port + 1000 + n * 7)", weight: 1) }
            let users = Array(Self.users.prefix(600))
            var placed: [String: String] = [:]
            for user in users {
                let request = ConnectionRequest(proto: .tcp, client: Endpoint("198.51.100.7:4000")!, virtual: Endpoint("10.0.0.1:\(port)")!,
                                                affinityKey: UserAffinityKey.key(user))
                placed[user] = f.table.accept(request, at: .zero).destination.map { "\($0.address)" } ?? "DROP"
            }
            return placed
        }
        let imap = try hosts(port: 143, flags: [.fallback, .addressOnly]), pop3 = try hosts(port: 110, flags: [.fallback, .addressOnly])
        #expect(imap == pop3)
        #expect(Set(imap.values) == Set(nodes), "the users spread over every node")
        let imapByPort = try hosts(port: 143, flags: [.fallback]), pop3ByPort = try hosts(port: 110, flags: [.fallback])
        #expect(imapByPort.filter { pop3ByPort[$0.key] != $0.value }.count > 100, "ports change the placement without the flag")
    }

    @Test func normalisationIgnoresCaseAndSurroundingSpace() {
        #expect(UserAffinityKey.normalised("  Alice@Shoal.TEST\t") == "alice@shoal.test")
        #expect(UserAffinityKey.key("ALICE") == UserAffinityKey.key(" alice "))
        #expect(UserAffinityKey.key("alice") != UserAffinityKey.key("bob"))
    }

    @Test func aUserLandsOnOneServerFromEveryAddress() throws {
        var f = try Self.fixture(weights: [(S.A, 1), (S.B, 1), (S.C, 1)])
        let first = Self.placement(&f, users: ["alice"])["alice"]!
        for n in 1...40 {
            let client = Endpoint(IPAddress("198.51.100.\(n)")!, UInt16(1000 + n))
            let request = ConnectionRequest(proto: .tcp, client: client, virtual: Endpoint("10.0.0.1:143")!,
                                            affinityKey: UserAffinityKey.key(n % 2 == 0 ? "Alice" : "alice"))
            #expect(f.table.accept(request, at: .zero).destination?.description == first)
        }
        // Without the key the client address decides, so the same clients spread over the servers.
        let spread = Set((1...40).map { n in f.connect(from: "198.51.100.\(n):\(2000 + n)") })
        #expect(spread.count > 1)
    }

    @Test func weightsAreHonoured() throws {
        var f = try Self.fixture(weights: [(S.A, 1), (S.B, 1), (S.C, 2)])
        let placed = Self.placement(&f)
        let counts = Dictionary(grouping: placed.values, by: { $0 }).mapValues(\.count)
        let total = Double(Self.users.count)
        #expect(abs(Double(counts[S.C] ?? 0) / total - 0.5) < 0.05, "\(counts)")
        #expect(abs(Double(counts[S.A] ?? 0) / total - 0.25) < 0.05, "\(counts)")
        #expect(abs(Double(counts[S.B] ?? 0) / total - 0.25) < 0.05, "\(counts)")
    }

    @Test(arguments: [3, 4, 5])
    func removingOneOfNServersMovesAboutOneNthOfTheUsers(n: Int) throws {
        let servers = [S.A, S.B, S.C, S.D, S.E].prefix(n)
        var f = try Self.fixture(weights: servers.map { ($0, 1) })
        let before = Self.placement(&f)
        let leaving = servers[servers.startIndex + 1]
        try f.remove(leaving)
        let after = Self.placement(&f)
        let moved = Self.users.filter { before[$0] != after[$0] }
        // Every user of the leaving server moves, and nobody lands on it.
        #expect(before.filter { $0.value == leaving }.keys.allSatisfy { after[$0] != leaving && after[$0] != "DROP" })
        #expect(!after.values.contains(leaving))
        // Maglev's promise: about 1/N move (its own users), plus a small disruption of others.
        let share = Double(moved.count) / Double(Self.users.count)
        let leavingShare = Double(before.values.filter { $0 == leaving }.count) / Double(Self.users.count)
        #expect(share < 1.0 / Double(n) + 0.05, "moved \(share) of users with \(n) servers")
        #expect(share - leavingShare < 0.05, "users of the staying servers that moved: \(share - leavingShare)")
        // Adding it back restores almost everyone's home.
        try f.add(leaving)
        let again = Self.placement(&f)
        let homeAgain = Self.users.filter { before[$0] == again[$0] }.count
        #expect(Double(homeAgain) / Double(Self.users.count) > 0.95)
    }

    @Test func drainingAServerMovesOnlyItsUsersAndUndrainingBringsThemBack() throws {
        var f = try Self.fixture(weights: [(S.A, 1), (S.B, 1), (S.C, 1)])
        let before = Self.placement(&f)
        try f.edit(S.B, weight: 0)
        let drained = Self.placement(&f)
        for user in Self.users {
            if before[user] == S.B {
                #expect(drained[user] != S.B && drained[user] != "DROP")
            } else {
                #expect(drained[user] == before[user])
            }
        }
        try f.edit(S.B, weight: 1)
        #expect(Self.placement(&f) == before)
    }
}
