import Director
import DirectorNFT
import ShoalCore
import Testing

/// The ruleset the nftables dataplane writes for a table (goldens), the scheduler mappings, and what it refuses.
@Suite struct NFTRulesetTests {
    static func table(_ rules: String) throws -> DirectorTable {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules(rules))
        return table
    }

    static func ruleset(_ rules: String, device: String? = nil) throws -> String {
        try NFTRuleset(try table(rules), options: NFTRuleset.Options(device: device)).json
    }

    static func refusal(_ rules: String, device: String? = nil) throws -> String? {
        let table = try table(rules)
        do throws(NFTRulesetError) {
            _ = try NFTRuleset(table, options: NFTRuleset.Options(device: device))
            return nil
        } catch {
            return error.description
        }
    }

    static let removal = """
        {"add":{"table":{"family":"inet","name":"shoal"}}},
        {"delete":{"table":{"family":"inet","name":"shoal"}}},
        {"add":{"table":{"family":"netdev","name":"shoal"}}},
        {"delete":{"table":{"family":"netdev","name":"shoal"}}},
        """

    @Test func emptyTableRemovesTheTablesAndLeavesAnEmptyNatChain() throws {
        #expect(try Self.ruleset("") == """
            {"nftables":[
            \(Self.removal)
            {"add":{"table":{"family":"inet","name":"shoal"}}},
            {"add":{"chain":{"family":"inet","table":"shoal","name":"prerouting","type":"nat","hook":"prerouting","prio":-100,"policy":"accept"}}}
            ]}

            """)
        #expect(NFTRuleset.removal(options: NFTRuleset.Options()) == "{\"nftables\":[\n" + Self.removal.dropLast(1) + "\n]}\n")
    }

    /// VS/NAT: rr and wrr walk the scheduler's cycle with numgen (newest server first, as the kernel lists
    /// them; wrr's first pass takes every server once, as ip_vs_wrr does with cw 0); sh maps jhash of the client address into ip_vs_sh's 256 buckets (runs of one server merged).
    @Test func natServicesGolden() throws {
        let json = try Self.ruleset("""
            -A -t 10.0.0.1:80 -s rr
            -a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m
            -a -t 10.0.0.1:80 -r 192.168.1.2:8080 -m
            -a -t 10.0.0.1:80 -r 192.168.1.3:8080 -m -w 0
            -A -u 10.0.0.1:53 -s wrr
            -a -u 10.0.0.1:53 -r 192.168.1.1:53 -m -w 4
            -a -u 10.0.0.1:53 -r 192.168.1.2:53 -m -w 2
            -A -t [2001:db8::1]:443 -s sh -b sh-port
            -a -t [2001:db8::1]:443 -r [2001:db8:1::1]:443 -m -w 200
            -a -t [2001:db8::1]:443 -r [2001:db8:1::2]:443 -m -w 100
            """)
        #expect(json == """
            {"nftables":[
            \(Self.removal)
            {"add":{"table":{"family":"inet","name":"shoal"}}},
            {"add":{"chain":{"family":"inet","table":"shoal","name":"prerouting","type":"nat","hook":"prerouting","prio":-100,"policy":"accept"}}},
            {"add":{"rule":{"family":"inet","table":"shoal","chain":"prerouting","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"10.0.0.1"}},{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":80}},{"dnat":{"family":"ip","addr":{"map":{"key":{"numgen":{"mode":"inc","mod":2,"offset":0}},"data":{"set":[[0,{"concat":["192.168.1.2",8080]}],[1,{"concat":["192.168.1.1",8080]}]]}}}}}]}}},
            {"add":{"rule":{"family":"inet","table":"shoal","chain":"prerouting","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"10.0.0.1"}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":53}},{"dnat":{"family":"ip","addr":{"map":{"key":{"numgen":{"mode":"inc","mod":3,"offset":0}},"data":{"set":[[0,{"concat":["192.168.1.2",53]}],[{"range":[1,2]},{"concat":["192.168.1.1",53]}]]}}}}}]}}},
            {"add":{"rule":{"family":"inet","table":"shoal","chain":"prerouting","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"daddr"}},"right":"2001:db8::1"}},{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":443}},{"dnat":{"family":"ip6","addr":{"map":{"key":{"jhash":{"mod":256,"seed":0,"expr":{"concat":[{"payload":{"protocol":"ip6","field":"saddr"}},{"payload":{"protocol":"tcp","field":"sport"}}]}}},"data":{"set":[[{"range":[0,99]},{"concat":["2001:db8:1::2",443]}],[{"range":[100,255]},{"concat":["2001:db8:1::1",443]}]]}}}}}]}}}
            ]}

            """)
    }

    /// VS/DR: a netdev ingress chain on the device, fwd to the real server's address (its MAC by the
    /// neighbour table), chosen by a hash of client address and port over weight-sized ranges.
    @Test func directRoutingGolden() throws {
        let json = try Self.ruleset("""
            -A -t 10.0.0.2:80 -s wrr
            -a -t 10.0.0.2:80 -r 192.168.1.1:80 -g -w 3
            -a -t 10.0.0.2:80 -r 192.168.1.2:80 -g -w 1
            """, device: "eth1")
        #expect(json == """
            {"nftables":[
            \(Self.removal)
            {"add":{"table":{"family":"inet","name":"shoal"}}},
            {"add":{"chain":{"family":"inet","table":"shoal","name":"prerouting","type":"nat","hook":"prerouting","prio":-100,"policy":"accept"}}},
            {"add":{"table":{"family":"netdev","name":"shoal"}}},
            {"add":{"chain":{"family":"netdev","table":"shoal","name":"ingress","type":"filter","hook":"ingress","dev":"eth1","prio":0,"policy":"accept"}}},
            {"add":{"rule":{"family":"netdev","table":"shoal","chain":"ingress","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"10.0.0.2"}},{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":80}},{"fwd":{"dev":"eth1","family":"ip","addr":{"map":{"key":{"jhash":{"mod":4,"seed":0,"expr":{"concat":[{"payload":{"protocol":"ip","field":"saddr"}},{"payload":{"protocol":"tcp","field":"sport"}}]}}},"data":{"set":[[0,"192.168.1.2"],[{"range":[1,3]},"192.168.1.1"]]}}}}}]}}}
            ]}

            """)
    }

    /// A firewall-mark service whose servers have port 0 keeps the packet's port; with ports it needs a
    /// transport protocol to rewrite one.
    @Test func fwmarkGolden() throws {
        let json = try Self.ruleset("""
            -A -f 7 -s rr
            -a -f 7 -r 192.168.1.1:0 -m
            -A -f 8 -s rr
            -a -f 8 -r 192.168.1.1:8080 -m
            """)
        let rules = json.split(separator: "\n").filter { $0.contains("\"rule\"") }
        #expect(rules == [
            #"{"add":{"rule":{"family":"inet","table":"shoal","chain":"prerouting","expr":[{"match":{"op":"==","left":{"meta":{"key":"nfproto"}},"right":"ipv4"}},{"match":{"op":"==","left":{"meta":{"key":"mark"}},"right":7}},{"dnat":{"family":"ip","addr":{"map":{"key":{"numgen":{"mode":"inc","mod":1,"offset":0}},"data":{"set":[[0,"192.168.1.1"]]}}}}}]}}},"#,
            #"{"add":{"rule":{"family":"inet","table":"shoal","chain":"prerouting","expr":[{"match":{"op":"==","left":{"meta":{"key":"nfproto"}},"right":"ipv4"}},{"match":{"op":"==","left":{"meta":{"key":"mark"}},"right":8}},{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":{"set":["tcp","udp","sctp"]}}},{"dnat":{"family":"ip","addr":{"map":{"key":{"numgen":{"mode":"inc","mod":1,"offset":0}},"data":{"set":[[0,{"concat":["192.168.1.1",8080]}]]}}}}}]}}}"#,
        ])
    }

    /// The NAT cycle is the core scheduler's: slot n holds the server IPVS gives connection n.
    @Test(arguments: ["1 1 1", "5 3 2", "4 2", "7 1 1 3", "100 1"])
    func natCycleIsTheSchedulersOrder(weights: String) throws {
        let ws = weights.split(separator: " ").map { Int($0)! }
        var rules = "-A -t 10.0.0.1:80 -s wrr\n"
        for (i, w) in ws.enumerated() { rules += "-a -t 10.0.0.1:80 -r 192.168.1.\(i + 1):80 -m -w \(w)\n" }
        let table = try Self.table(rules)
        let plan = try #require(try NFTRuleset(table, options: NFTRuleset.Options()).plans.first)
        guard case let .counter(modulus) = plan.selector else { Issue.record("not a counter: \(plan.selector)"); return }
        let g = ws.reduce(0) { a, b in var (x, y) = (a, b); while y != 0 { (x, y) = (y, x % y) }; return x }
        #expect(modulus == ws.reduce(0, +) / g)
        var bySlot: [Endpoint] = []
        for slot in plan.slots { bySlot += slot.slots.map { _ in slot.server } }
        #expect(bySlot.count == modulus)
        let trace = (0..<(2 * modulus)).map { i in
            TraceEntry(line: i + 1, start: DirectorTime(seconds: i), client: Endpoint("10.9.0.1:\(1000 + i)")!, proto: .tcp,
                       virtual: Endpoint("10.0.0.1:80")!, duration: DirectorTime(microseconds: 10))
        }
        let simulated = TraceSimulator.run(table, trace: trace).outcomes.map(\.destination)
        #expect(simulated == (0..<(2 * modulus)).map { bySlot[$0 % modulus] })
    }

    /// sh's buckets are ip_vs_sh's: each server fills as many consecutive buckets as its weight, round the list.
    @Test func sourceHashBucketsFollowTheWeights() throws {
        let owners = SourceHashScheduler.bucketOwners(weights: [3, 1])
        #expect(owners.prefix(8) == [0, 0, 0, 1, 0, 0, 0, 1])
        #expect(owners.filter { $0 == 0 }.count == 192)
        #expect(SourceHashScheduler.bucketOwners(weights: []).allSatisfy { $0 == -1 })
        // A service whose servers are all quiesced gets no rule at all.
        let json = try Self.ruleset("-A -t 10.0.0.1:80 -s sh\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 0\n")
        #expect(!json.contains("\"rule\""))
    }

    /// What nftables cannot do is refused with the service and the reason.
    @Test func refusals() throws {
        let cases: [(String, String?, String)] = [
            ("-A -t 10.0.0.1:80 -s lc\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m", nil,
             "the nftables dataplane cannot carry service -t 10.0.0.1:80: the lc scheduler needs per-server connection counts, which nftables does not keep (use rr, wrr or sh)"),
            ("-A -t 10.0.0.1:80 -s wlc", nil, "the wlc scheduler needs per-server connection counts"),
            ("-A -t 10.0.0.1:80 -s mh", nil, "the mh scheduler has no nftables mapping"),
            ("-A -t 10.0.0.1:80 -s rr -p 300", nil, "persistence (-p) needs connection templates"),
            ("-A -u 10.0.0.1:53 -s rr -o", nil, "one-packet scheduling (-o) has no nftables mapping"),
            ("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -i", nil, "VS/TUN (ipip) is not built by the nftables dataplane"),
            ("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g", nil, "VS/DR needs the device its packets arrive on and leave by (--nft-device)"),
            ("-A -f 3 -s rr\n-a -f 3 -r 192.168.1.1:0 -g", "eth0", "VS/DR in a netdev ingress hook cannot see firewall marks"),
            ("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g\n-a -t 10.0.0.1:80 -r 192.168.1.2:80 -m", "eth0",
             "its servers mix forwarding methods"),
            ("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -x 100", nil, "connection thresholds (-x/-y on 192.168.1.1:80)"),
        ]
        for (rules, device, expected) in cases {
            let refusal = try Self.refusal(rules, device: device)
            #expect(refusal?.contains(expected) == true, "\(rules): \(refusal ?? "accepted")")
        }
        #expect(try Self.refusal("-A -t 10.0.0.1:80 -s sh -b sh-fallback\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m") == nil)
    }
}
