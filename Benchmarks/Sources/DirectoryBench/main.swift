// Directory benchmark: authentications/s and lookups/s through LDAPDirectory against a local slapd
// (the test fixture's: mdb backend, 1,000 users), cached and uncached, and the embedded SQLite directory.
//
// Each figure is operations per second over a fixed number of operations run by `concurrency` tasks
// at once, median of 3 runs.
import Directory
import Foundation
import ShoalTestFixtures

let users = 1_000
let concurrency = 16
let operations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 4_000

func time(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Runs `operations` calls of `op(i)` on `concurrency` tasks; returns operations per second (median of 3).
func rate(_ op: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
    var rates: [Double] = []
    for _ in 0..<3 {
        let seconds = try await time {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var i = worker
                        while i < operations {
                            try await op(i)
                            i += concurrency
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        rates.append(Double(operations) / seconds)
    }
    return rates.sorted()[1]
}

let fixtureUsers = (0..<users).map { i in
    FixtureUser(login: "user\(i)", password: PasswordHash.make("password\(i)", scheme: .ssha), mail: "user\(i)@bench.test")
}
let slapd = try SlapdFixture.started(users: fixtureUsers)
defer { slapd.stop() }

func ldap(_ mode: LDAPConfiguration.AuthMode, cached: Bool) -> LDAPDirectory {
    var c = LDAPConfiguration(uris: [slapd.uri], base: slapd.baseDN)
    c.bindDN = slapd.readerDN
    c.bindPassword = slapd.readerPassword
    c.authMode = mode
    c.poolSize = 8
    c.positiveCacheTTL = cached ? 600 : 0
    c.negativeCacheTTL = cached ? 600 : 0
    return LDAPDirectory(configuration: c)
}

func check(_ ok: Bool, _ what: String) throws {
    if !ok { throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: what]) }
}

var rows: [(String, Double)] = []

let uncached = ldap(.verify, cached: false)
rows.append(("LDAP lookup by login, uncached", try await rate { i in
    try check(try await uncached.user(login: "user\(i % users)") != nil, "lookup failed")
}))
rows.append(("LDAP lookup by address, uncached", try await rate { i in
    try check(try await uncached.user(address: "user\(i % users)@bench.test") != nil, "lookup failed")
}))
let cached = ldap(.verify, cached: true)
for i in 0..<users { _ = try await cached.user(login: "user\(i)") }
rows.append(("LDAP lookup by login, cached", try await rate { i in
    try check(try await cached.user(login: "user\(i % users)") != nil, "lookup failed")
}))
rows.append(("LDAP authentication, verify mode ({SSHA} checked by Shoal)", try await rate { i in
    try check(try await uncached.authenticate(login: "user\(i % users)", password: "password\(i % users)").user != nil, "auth failed")
}))
let bind = ldap(.bind, cached: false)
rows.append(("LDAP authentication, bind mode (slapd checks)", try await rate { i in
    try check(try await bind.authenticate(login: "user\(i % users)", password: "password\(i % users)").user != nil, "auth failed")
}))

let dbPath = NSTemporaryDirectory() + "shoal-bench-\(getpid()).db"
defer { try? FileManager.default.removeItem(atPath: dbPath) }
let sqlite = try SQLiteDirectory(path: dbPath)
for i in 0..<200 {
    try await sqlite.add(DirectoryUser(login: "user\(i)", addresses: ["user\(i)@bench.test"]), password: "password\(i)")
}
rows.append(("SQLite lookup by address", try await rate { i in
    try check(try await sqlite.user(address: "user\(i % 200)@bench.test") != nil, "lookup failed")
}))
rows.append(("SQLite authentication ({SSHA512})", try await rate { i in
    try check(try await sqlite.authenticate(login: "user\(i % 200)", password: "password\(i % 200)").user != nil, "auth failed")
}))

print("operations/s, \(operations) operations on \(concurrency) concurrent tasks, median of 3 runs; slapd 2.5 mdb with \(users) users on loopback")
print("| operation | ops/s |")
print("|---|---:|")
for (name, value) in rows { print("| \(name) | \(Int(value.rounded())) |") }
