import Foundation
@testable import HTTPCache
import ShoalCore
import ShoalTestFixtures
import Testing

/// CARP's hash (draft-vinod-carp-v1-03) against values worked out independently of this code, and the
/// properties a farm relies on: shares follow weights, a member leaving or joining moves only its URLs.
@Suite struct CARPArrayTests {
    @Test func hashesMatchTheDraftsArithmetic() {
        // Worked out with a separate implementation of §3.1–3.4 (Python, unsigned 32-bit arithmetic).
        #expect(CARPArray.urlHash("") == 0)
        #expect(CARPArray.memberHash("") == 0)
        #expect(CARPArray.urlHash("cache-a") == 0xb598_b575)
        #expect(CARPArray.memberHash("cache-a") == 0x33dc_6ff7)
        #expect(CARPArray.memberHash("cache-b") == 0x6088_ba5a)
        #expect(CARPArray.urlHash("http://www.example/index.html") == 0x6679_c074)
        #expect(CARPArray.combinedHash(url: CARPArray.urlHash("http://www.example/index.html"), member: CARPArray.memberHash("cache-a"))
            == 0x264b_7417)
    }

    @Test func loadFactorMultipliers() {
        let equal = CARPArray([("a", 1), ("b", 1), ("c", 1)])
        #expect(equal.members.allSatisfy { abs($0.multiplier - 1) < 1e-12 })
        let weighted = CARPArray([("a", 1), ("b", 1), ("c", 2)])
        #expect(abs(weighted.members[0].multiplier - 0.908_560_296_416_069_8) < 1e-12)
        #expect(abs(weighted.members[1].multiplier - 0.908_560_296_416_069_8) < 1e-12)
        #expect(abs(weighted.members[2].multiplier - 1.211_413_728_554_759_7) < 1e-12)
        let zero = CARPArray([("a", 0), ("b", 5)])
        #expect(zero.members[0].multiplier == 0 && abs(zero.members[1].multiplier - 1) < 1e-12)
    }

    static func urls(_ count: Int) -> [String] { (0..<count).map { "http://www.example/object/\($0).bin" } }

    @Test func sharesFollowWeights() {
        let array = CARPArray([("cache-a", 1), ("cache-b", 1), ("cache-c", 2)])
        var counts = [0, 0, 0]
        for url in Self.urls(10_000) { counts[array.owner(of: url)!] += 1 }
        // The independent implementation gives 2474, 2592 and 4934 for these 10,000 URLs.
        #expect(counts == [2474, 2592, 4934])
        let zero = CARPArray([("a", 0), ("b", 1), ("c", 1)])
        #expect(Self.urls(2000).allSatisfy { zero.owner(of: $0) != 0 })
    }

    @Test func aMemberLeavingOrJoiningMovesOnlyItsURLs() {
        let names = ["cache-a", "cache-b", "cache-c", "cache-d"]
        let four = CARPArray(names.map { ($0, 1) })
        let withoutB = CARPArray(names.filter { $0 != "cache-b" }.map { ($0, 1) })
        var moved = 0
        for url in Self.urls(5000) {
            let before = names[four.owner(of: url)!]
            let after = withoutB.members[withoutB.owner(of: url)!].name
            if before == "cache-b" { moved += 1; #expect(after != "cache-b") } else { #expect(after == before) }
            // A down member's URLs fall to the next in its ranking, the same member the smaller array picks.
            #expect(names[four.owner(of: url) { names[$0] != "cache-b" }!] == after)
        }
        #expect(moved > 1000 && moved < 1500)  // about a quarter
        let five = CARPArray((names + ["cache-e"]).map { ($0, 1) })
        for url in Self.urls(5000) {
            let after = five.members[five.owner(of: url)!].name
            #expect(after == "cache-e" || after == names[four.owner(of: url)!])
        }
    }

    @Test func routerSkipsDownMembersAndStopsAtItself() throws {
        let members = ["a", "b", "c"].enumerated().map { CARPRouter.Member(name: $1, http: Endpoint("127.0.0.\($0 + 1):3128")!, weight: 1) }
        let router = CARPRouter(members: members, selfName: "b", downSeconds: 10)
        let urls = Self.urls(300)
        for url in urls {
            let ranking = router.array.ranking(for: url)
            let route = router.route(url, now: 100)
            #expect(route == Array(ranking.prefix { $0 != 1 }))
        }
        let ownedByA = try #require(urls.first { router.array.ranking(for: $0).first == 0 })
        router.markDown(0, now: 100)
        #expect(!router.route(ownedByA, now: 105).contains(0))
        #expect(router.route(ownedByA, now: 111).first == 0)  // back after down_for
        let front = CARPRouter(members: members, selfName: "front")
        #expect(front.selfIndex == nil && urls.allSatisfy { front.route($0, now: 0).count == 3 })
        #expect(router.cameThroughMember(via: ["1.0 other", "1.1 c (shoal)"]))
        #expect(!router.cameThroughMember(via: ["1.1 cx (squid)"]))
    }

    @Test func configurationErrorsNameTheField() throws {
        func parse(_ carp: String) throws -> CacheNodeConfiguration {
            try CacheNodeConfiguration.parse(ConfigDocument.parse("""
                name: a
                http: { listen: "127.0.0.1:3128" }
                origin: { servers: ["127.0.0.1:8080"] }
                store: { directory: /tmp/x }
                \(carp)
                """, file: "cache.yaml"))
        }
        let good = try parse("carp: { members: [{ name: a, http: \"127.0.0.1:3128\" }, { name: b, http: \"127.0.0.2:3128\", weight: 2 }] }")
        #expect(good.carp?.selfName == "a" && good.carp?.members.map(\.weight) == [1, 2] && good.carp?.keepsOthers == false)
        for (text, words) in [
            ("carp: { self: z, members: [{ name: a, http: \"127.0.0.1:3128\" }] }", "z is not among the members"),
            ("carp: { members: [{ name: a, http: \"127.0.0.1:3128\" }, { name: a, http: \"127.0.0.2:3128\" }] }", "used twice"),
            ("carp: { members: [] }", "at least one member"),
            ("carp: { members: [{ name: a, http: \"127.0.0.1:3128\", weight: 0 }] }", "weight above 0"),
            ("carp: { members: [{ name: a, http: \"127.0.0.1:3128\", color: red }] }", "color"),
        ] {
            #expect {
                _ = try parse(text)
            } throws: { error in
                let message = "\(error)"
                return message.contains("cache.yaml:5") && message.contains(words)
            }
        }
    }
}

/// Three cache nodes partitioned by CARP in front of a real nginx: whichever node is asked, each URL is
/// fetched from the origin once, by its owner; a dead owner's URLs fall to the next member.
@Suite(.serialized) struct CARPFarmTests {
    @Test func eachURLIsFetchedOnceByItsOwnerWhicheverNodeIsAsked() async throws {
        let origin = try await OriginFixture(host: "127.0.187.1")
        defer { origin.stop() }
        let hosts = ["127.0.187.2", "127.0.187.3", "127.0.187.4"]
        let ports = try hosts.map { try TestPorts.free(host: $0) }
        let members = zip(hosts, ports).enumerated().map { index, pair in
            "{ name: carp-\(index), http: \"\(pair.0):\(pair.1)\" }"
        }.joined(separator: ", ")
        var nodes: [CacheNodeFixture] = []
        for (index, host) in hosts.enumerated() {
            nodes.append(try await CacheNodeFixture(host: host, origin: origin, name: "carp-\(index)",
                                                    extra: "carp: { down_for: 60, members: [\(members)] }\n", httpPort: ports[index]))
        }
        let array = CARPArray((0..<3).map { ("carp-\($0)", 1) })
        let paths = (0..<12).map { "/fresh.txt?carp=\($0)" }
        for path in paths {
            for node in nodes {
                let answer = try await Curl.get("\(node.proxy)\(path)")
                #expect(answer.status == 200 && answer.body == "contents of fresh.txt\n")
            }
            #expect(origin.fetches(path).count == 1, "\(path) reached the origin more than once")
        }
        var carpFetches = 0
        for (index, node) in nodes.enumerated() {
            let owned = paths.filter { array.owner(of: "http://\(origin.authority)\($0)") == index }
            // The owner fetched its URLs directly and keeps them; the others asked the owner and kept nothing.
            try await #require(try await eventually {
                owned.allSatisfy { path in node.accessLog.contains("GET http://\(origin.authority)\(path) - HIER_DIRECT/") }
            })
            #expect(!node.accessLog.contains("CARP/\(hosts[index])"))
            carpFetches += try await node.metric("shoal_cache_carp_fetches_total") ?? -1
        }
        // Each URL was asked of all three: one answer by the owner from the origin, one hit, and two CARP fetches.
        #expect(carpFetches == 2 * paths.count)
        let owners = paths.map { array.owner(of: "http://\(origin.authority)\($0)")! }
        #expect(Set(owners).count > 1, "the twelve URLs should spread over more than one member")

        // Kill the owner of the first URL: the others fall back to the next member in its ranking.
        let dead = owners[0]
        await nodes[dead].stop()
        let alive = nodes.indices.filter { $0 != dead }
        for path in paths {
            for index in alive {
                let answer = try await Curl.get("\(nodes[index].proxy)\(path)")
                #expect(answer.status == 200 && answer.body == "contents of fresh.txt\n")
            }
        }
        for (path, owner) in zip(paths, owners) {
            // URLs of live owners still came from the origin once; the dead owner's once more, by their new owner.
            #expect(origin.fetches(path).count == (owner == dead ? 2 : 1), "\(path)")
        }
        for index in alive { await nodes[index].stop() }
    }
}
