import Director
import DirectorNFT
import ShoalCore
import Testing

/// Per-real-server counters of the nftables dataplane: the counting rules (golden lines, checked by nft
/// itself in `NFTNamespaceTests`), the reading of `nft -j list table` output, and the sums per server.
@Suite struct NFTCounterTests {
    static let rules = """
        -A -t 10.0.0.1:80 -s rr
        -a -t 10.0.0.1:80 -r 10.2.0.1:8080 -m
        -a -t 10.0.0.1:80 -r 10.2.0.2:8080 -m
        -A -t 10.0.3.1:8080 -s wrr
        -a -t 10.0.3.1:8080 -r 10.2.0.1:8080 -g -w 1
        -a -t 10.0.3.1:8080 -r 10.2.0.2:8080 -g -w 2
        -A -f 5 -s rr
        -a -f 5 -r 10.2.0.3:0 -m

        """

    static func ruleset(counters: Bool = true) throws -> NFTRuleset {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules(rules))
        return try NFTRuleset(table, options: NFTRuleset.Options(device: "d0", counters: counters))
    }

    @Test func countersAreNamedPerServiceAndServer() throws {
        let plan = try Self.ruleset().counterPlan
        // NAT: in, out and connections per server of the address service; the fwmark service is not counted.
        #expect(plan.nat.map(\.name) == ["s0-r0-in", "s0-r0-out", "s0-r0-conn", "s0-r1-in", "s0-r1-out", "s0-r1-conn"])
        #expect(Set(plan.nat.map(\.server)) == [Endpoint("10.2.0.1:8080")!, Endpoint("10.2.0.2:8080")!])
        // DR: packets in per server.
        #expect(plan.directRouting.map(\.name).count == 2)
        #expect(plan.directRouting.allSatisfy { $0.service == .address(.tcp, Endpoint("10.0.3.1:8080")!) && $0.kind == .inbound })
        // Off: no counters, and the JSON has none.
        #expect(try Self.ruleset(counters: false).counterPlan.nat.isEmpty)
        #expect(!(try Self.ruleset(counters: false).json.contains("counter")))
    }

    @Test func rulesMatchTheConnectionTupleAndCountByName() throws {
        let json = try Self.ruleset().json
        #expect(json.contains(#"{"add":{"counter":{"family":"inet","table":"shoal","name":"s0-r0-in"}}}"#))
        #expect(json.contains(#"{"add":{"chain":{"family":"inet","table":"shoal","name":"counters","type":"filter","hook":"forward","prio":0,"policy":"accept"}}}"#))
        #expect(json.contains(#"{"add":{"rule":{"family":"inet","table":"shoal","chain":"counters","expr":[{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":"tcp"}},{"match":{"op":"==","left":{"ct":{"key":"ip daddr","dir":"original"}},"right":"10.0.0.1"}},{"match":{"op":"==","left":{"ct":{"key":"proto-dst","dir":"original"}},"right":80}},{"match":{"op":"==","left":{"ct":{"key":"ip saddr","dir":"reply"}},"right":"10.2.0.1"}},{"match":{"op":"==","left":{"ct":{"key":"proto-src","dir":"reply"}},"right":8080}},{"match":{"op":"in","left":{"ct":{"key":"state"}},"right":"new"}},{"counter":"s0-r0-conn"}]}}}"#))
        #expect(json.contains(#"{"add":{"counter":{"family":"netdev","table":"shoal","name":"s1-r0-in"}}}"#))
        // DR: the same jhash as the fwd rule (so the same slot), the server's slots as a set, before the fwd rule.
        let lines = json.split(separator: "\n")
        let counting = try #require(lines.firstIndex { $0.contains(#"{"counter":"s1-r1-in"}"#) })
        let forwarding = try #require(lines.firstIndex { $0.contains(#""fwd""#) })
        #expect(counting < forwarding)
        #expect(lines[counting].contains(#"{"match":{"op":"==","left":{"jhash":{"mod":3,"seed":0,"expr":{"concat":[{"payload":{"protocol":"ip","field":"saddr"}},{"payload":{"protocol":"tcp","field":"sport"}}]}}},"right":{"set":["#))
    }

    @Test func readingsBecomeStatsPerServer() throws {
        let output = """
            {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "shoal", "handle": 1}},
             {"counter": {"family": "inet", "name": "s0-r0-in", "table": "shoal", "handle": 2, "packets": 12, "bytes": 900}},
             {"counter": {"family": "inet", "name": "s0-r0-out", "table": "shoal", "handle": 3, "packets": 9, "bytes": 1500}},
             {"counter": {"family": "inet", "name": "s0-r0-conn", "table": "shoal", "handle": 4, "packets": 2, "bytes": 120}},
             {"rule": {"family": "inet", "table": "shoal", "chain": "counters", "handle": 5, "expr": [{"counter": "s0-r0-in"}]}}]}
            """
        let readings = try #require(NFTCounterReading.parse(output))
        #expect(readings == ["s0-r0-in": NFTCounterReading(packets: 12, bytes: 900), "s0-r0-out": NFTCounterReading(packets: 9, bytes: 1500),
                             "s0-r0-conn": NFTCounterReading(packets: 2, bytes: 120)])
        let stats = try Self.ruleset().counterPlan.stats(readings)
        let web = try #require(stats[.address(.tcp, Endpoint("10.0.0.1:80")!)])
        var expected = TrafficStats()
        expected.connections = 2; expected.inPackets = 12; expected.inBytes = 900; expected.outPackets = 9; expected.outBytes = 1500
        #expect(web[Endpoint("10.2.0.1:8080")!] == expected)
        #expect(web[Endpoint("10.2.0.2:8080")!] == TrafficStats())
        #expect(NFTCounterReading.parse("not json") == nil)
        #expect(NFTCounterReading.parse(#"{"nftables": [{"counter": {"name": "x", "packets": -1, "bytes": 0}}]}"#) == nil)
    }
}
