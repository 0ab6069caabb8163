import Director
import DirectorAdmin
import DirectorNode
import DirectorProxy
import Foundation
import Logging
import NIOConcurrencyHelpers
import ShoalCore
import ShoalTestFixtures
import Testing

/// The runtime's connection table lives apart from its configuration: admin changes leave connections
/// alone, rejected batches change nothing, and counts stay consistent under concurrent load.
@Suite struct RuntimeConnectionTableTests {
    static let virtual = Endpoint("127.0.0.1:8080")!
    static let key = VirtualServiceKey.address(.tcp, virtual)
    static let a = Endpoint("127.0.0.2:80")!, b = Endpoint("127.0.0.3:80")!, c = Endpoint("127.0.0.4:80")!

    static func runtime() throws -> DirectorRuntime {
        let configuration = try DirectorConfiguration.parse(ConfigDocument.parse("""
            services:
              - listen: 127.0.0.1:8080
                scheduler: wlc
                servers: [{address: 127.0.0.2:80, weight: 2}, {address: 127.0.0.3:80}]
            """, file: "director.yaml"))
        var logger = Logger(label: "test.runtime")
        logger.logLevel = .error
        let runtime = DirectorRuntime(logger: logger, wallClock: 0)
        _ = try runtime.load(configuration)
        return runtime
    }

    static func request(_ port: Int) -> ConnectionRequest {
        ConnectionRequest(proto: .tcp, client: Endpoint(.v4(0x0A00_0000 | UInt32(port >> 16)), UInt16(truncatingIfNeeded: port)), virtual: virtual)
    }

    /// Entries by identity, with what an admin change must not alter.
    static func entries(_ runtime: DirectorRuntime) -> [String] {
        runtime.liveConnections.entries.map { "\($0.id.rawValue) \($0.client) \($0.destination) \($0.state.rawValue)" }
    }

    static func counts(_ table: DirectorTable) -> [Endpoint: [Int]] {
        Dictionary(uniqueKeysWithValues: (table.service(key)?.servers ?? []).map {
            ($0.endpoint, [$0.activeConnections, $0.inactiveConnections])
        })
    }

    @Test func anAdminChangeLeavesConnectionsAlone() async throws {
        let runtime = try Self.runtime()
        var leases: [ProxyLease] = []
        for port in 1...30 { leases.append(try #require(runtime.schedule(Self.request(port), excluding: []))) }
        for lease in leases.prefix(10) { runtime.closed(lease) }
        let before = Self.entries(runtime)
        let countsBefore = Self.counts(runtime.liveServices)
        #expect(before.count == 30 && countsBefore.values.map { $0[0] }.reduce(0, +) == 20)

        // A weight change and a new server: connections keep their servers and states, counters stay.
        try await runtime.apply([.editServer(Self.key, RealServerConfig(endpoint: Self.b, forwarding: .masquerade, weight: 5)),
                                 .addServer(Self.key, RealServerConfig(endpoint: Self.c, forwarding: .masquerade))])
        #expect(Self.entries(runtime) == before)
        var counts = Self.counts(runtime.liveServices)
        #expect(counts[Self.a] == countsBefore[Self.a] && counts[Self.b] == countsBefore[Self.b] && counts[Self.c] == [0, 0])
        #expect(runtime.liveServices.service(Self.key)?.servers.first { $0.endpoint == Self.b }?.weight == 5)

        // A rejected batch (its second command names no service) changes nothing at all.
        let missing = VirtualServiceKey.address(.tcp, Endpoint("127.0.0.1:9999")!)
        await #expect(throws: ConfigError.self) {
            try await runtime.apply([.deleteServer(Self.key, Self.a), .addServer(missing, RealServerConfig(endpoint: Self.c))])
        }
        #expect(Self.entries(runtime) == before)
        #expect(Self.counts(runtime.liveServices) == counts)
        #expect(runtime.desiredTable.service(Self.key)?.servers.count == 3)

        // Deleting a server keeps its connections (they drain from the trash); re-adding it brings its counters back.
        try await runtime.apply([.deleteServer(Self.key, Self.a)])
        #expect(Self.entries(runtime) == before)
        #expect(runtime.liveServices.connectionCount == 30)
        try await runtime.apply([.addServer(Self.key, RealServerConfig(endpoint: Self.a, forwarding: .masquerade, weight: 2))])
        counts = Self.counts(runtime.liveServices)
        #expect(counts[Self.a] == countsBefore[Self.a])

        // The leases still work against the table: closing the rest leaves no active connection.
        for lease in leases.dropFirst(10) { runtime.closed(lease) }
        #expect(Self.counts(runtime.liveServices).values.map { $0[0] }.reduce(0, +) == 0)
        #expect(Self.counts(runtime.liveServices).values.map { $0[1] }.reduce(0, +) == 30)
        let snapshot = await runtime.snapshot()
        #expect(snapshot.table.connectionCount == 30 && snapshot.table.connectionEntries.isEmpty)
        #expect(await runtime.connectionListing().entries.count == 30)
    }

    @Test func countsStayConsistentUnderConcurrentAcceptsAdminEditsAndReads() async throws {
        let runtime = try Self.runtime()
        let workers = 4, perWorker = 3_000
        let stop = NIOLockedValueBox(false)
        let problems = NIOLockedValueBox<[String]>([])

        // Accepting/closing threads: every connection is scheduled, then closed, abandoned or left open.
        let openLeft = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    try await offPool {
                        var open = 0
                        for i in 0..<perWorker {
                            guard let lease = runtime.schedule(Self.request(worker << 16 | (i + 1)), excluding: []) else {
                                problems.withLockedValue { $0.append("worker \(worker): no server for connection \(i)") }
                                continue
                            }
                            runtime.traffic(lease, inBytes: 10, outBytes: 20)
                            switch i % 3 {
                            case 0: runtime.closed(lease)
                            case 1: runtime.abandon(lease)
                            default: open += 1
                            }
                        }
                        return open
                    }
                }
            }
            // Admin edits: weights flip, a third server comes and goes; rejected batches in between.
            group.addTask {
                var round = 0
                while !stop.withLockedValue({ $0 }) || round % 2 == 0 {
                    // apply() never suspends here: yield, or this loop holds a concurrency-pool thread.
                    await Task.yield()
                    round += 1
                    let weight = round % 4 + 1
                    try await runtime.apply([.editServer(Self.key, RealServerConfig(endpoint: Self.b, forwarding: .masquerade, weight: weight))])
                    if round % 2 == 1 {
                        try await runtime.apply([.addServer(Self.key, RealServerConfig(endpoint: Self.c, forwarding: .masquerade))])
                    } else {
                        try await runtime.apply([.deleteServer(Self.key, Self.c)])
                    }
                    do {
                        try await runtime.apply([.editServer(Self.key, RealServerConfig(endpoint: Self.a, weight: 9)), .deleteService(.fwmark(77, .inet))])
                        problems.withLockedValue { $0.append("a batch with a bad command was accepted") }
                    } catch {}
                }
                return 0
            }
            // Readers: metrics text, the services view and the connection listing.
            group.addTask {
                while !stop.withLockedValue({ $0 }) {
                    await Task.yield()
                    let snapshot = await runtime.snapshot()
                    let text = MetricsExporter.render(snapshot, now: 1)
                    if !text.contains("shoal_director_connection_entries") {
                        problems.withLockedValue { $0.append("metrics without the entry count") }
                    }
                    let listed = snapshot.table.service(Self.key)?.servers.reduce(0) { $0 + $1.totalConnections } ?? 0
                    if listed > snapshot.table.connectionCount {
                        problems.withLockedValue { $0.append("servers count \(listed) connections, the table has \(snapshot.table.connectionCount)") }
                    }
                    _ = await runtime.connectionListing()
                }
                return 0
            }
            var open = 0
            for _ in 0..<workers { open += try await group.next() ?? 0 }
            stop.withLockedValue { $0 = true }
            for try await _ in group {}
            return open
        }

        #expect(problems.withLockedValue { $0 } == [])
        // The admin task ends with the third server listed, so every counter is in the services view.
        let table = runtime.liveServices
        let listing = runtime.liveConnections
        let servers = try #require(table.service(Self.key)).servers
        #expect(servers.count == 3)
        #expect(listing.entries.count == table.connectionCount)
        #expect(servers.reduce(0) { $0 + $1.activeConnections } == openLeft)
        for server in servers {
            let bound = listing.entries.filter { $0.destination == server.endpoint }
            #expect(server.activeConnections == bound.filter(\.isActive).count, "active on \(server.endpoint)")
            #expect(server.inactiveConnections == bound.filter { !$0.isActive }.count, "inactive on \(server.endpoint)")
        }
        // Closed ones stay as inactive entries; abandoned ones are gone.
        let closed = (0..<workers).map { _ in (0..<perWorker).filter { $0 % 3 == 0 }.count }.reduce(0, +)
        #expect(listing.entries.count == openLeft + closed)
        #expect(table.service(Self.key)!.stats.connections == UInt64(workers * perWorker))
    }
}
