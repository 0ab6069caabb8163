import Director
@testable import DirectorAdmin
import DirectorNode
import ShoalCore
import Testing

/// The same scheduler-flag, netmask and threshold inputs get the same verdict through YAML (director
/// configuration), JSON (admin API requests) and ipvsadm rule text, since all three map onto one rule in Director.
@Suite struct FrontEndAgreementTests {
    // MARK: The three front ends, each reduced to "the service/server config, or nil when refused"

    static func yamlService(scheduler: String, flags: [String] = [], netmask: String? = nil, address: String = "127.0.0.1:80") -> VirtualServiceConfig? {
        let flagText = flags.isEmpty ? "" : "\n    scheduler_flags: [\(flags.joined(separator: ", "))]"
        let persistence = netmask.map { "\n    persistence: {netmask: \"\($0)\"}" } ?? ""
        let yaml = """
            services:
              - listen: "\(address)"
                scheduler: \(scheduler)\(flagText)\(persistence)
                servers: [{address: "\(address.hasPrefix("[") ? "[::1]:81" : "127.0.0.2:81")"}]
            """
        return try? DirectorConfiguration.parse(ConfigDocument.parse(yaml, file: "t.yaml")).services.first?.config
    }

    static func jsonService(scheduler: String, flags: [String] = [], netmask: String? = nil, address: String = "127.0.0.1") -> VirtualServiceConfig? {
        var body: [String: JSONValue] = ["address": .string(address), "port": .number(80), "scheduler": .string(scheduler)]
        if !flags.isEmpty { body["scheduler_flags"] = .array(flags.map(JSONValue.string)) }
        if let netmask { body["persistence"] = .object(["netmask": .string(netmask)]) }
        guard let commands = try? MutationRequests.addService(.object(body)), case let .addService(config)? = commands.first else { return nil }
        return config
    }

    static func ipvsadmService(scheduler: String, flags: [String] = [], netmask: String? = nil, address: String = "127.0.0.1:80") -> VirtualServiceConfig? {
        var line = "-A -t \(address) -s \(scheduler)"
        if !flags.isEmpty { line += " -b " + flags.joined(separator: ",") }
        if let netmask { line += " -p -M \(netmask)" }
        guard case let .addService(config)? = try? IPVSRuleParser.parse(RuleTokenizer.tokenize(line)) else { return nil }
        return config
    }

    // MARK: Scheduler flags

    @Test(arguments: [
        ("rr", ["flag-1"]), ("rr", ["flag-2", "flag-3"]), ("sh", ["sh-fallback", "sh-port"]), ("mh", ["mh-port"]),
        ("sh", ["flag-1"]), ("rr", ["sh-port"]), ("sh", ["mh-fallback"]), ("mh", ["sh-fallback"]),
        ("wlc", ["flag-4"]), ("rr", ["FLAG-1"]), ("rr", ["fallback"]),
    ])
    func schedulerFlagsAgree(scheduler: String, flags: [String]) {
        let yaml = Self.yamlService(scheduler: scheduler, flags: flags)?.schedulerFlags
        let json = Self.jsonService(scheduler: scheduler, flags: flags)?.schedulerFlags
        let rule = Self.ipvsadmService(scheduler: scheduler, flags: flags)?.schedulerFlags
        #expect(yaml == json && json == rule, "yaml \(String(describing: yaml)), json \(String(describing: json)), ipvsadm \(String(describing: rule))")
        let expected = try? SchedulerFlags.parse(flags, scheduler: scheduler)
        #expect(rule == expected)
    }

    @Test func flagNamesRenderAsIpvsadmListsThem() throws {
        #expect(SchedulerFlags([.fallback, .port]).names(for: .sh) == ["sh-fallback", "sh-port"])
        #expect(SchedulerFlags([.fallback]).names(for: .mh) == ["mh-fallback"])
        #expect(SchedulerFlags([.flag1, .flag3]).names(for: .rr) == ["flag-1", "flag-3"])
        // Render then parse gives the flags back, for every scheduler.
        for scheduler in SchedulerName.allCases {
            let flags: SchedulerFlags = [.flag1, .flag2]
            #expect(try SchedulerFlags.parse(flags.names(for: scheduler), scheduler: scheduler.rawValue) == flags)
        }
    }

    // MARK: Netmasks

    @Test(arguments: ["255.255.255.0", "255.255.0.0", "0.0.0.0", "255.255.255.255", "255.0.255.0", "255.255.255.1", "0.255.255.255"])
    func ipv4NetmasksAgree(netmask: String) {
        let yaml = Self.yamlService(scheduler: "rr", netmask: netmask)?.persistence?.netmask
        let json = Self.jsonService(scheduler: "rr", netmask: netmask)?.persistence?.netmask
        let rule = Self.ipvsadmService(scheduler: "rr", netmask: netmask)?.persistence?.netmask
        #expect(yaml == json && json == rule, "yaml \(String(describing: yaml)), json \(String(describing: json)), ipvsadm \(String(describing: rule))")
        let contiguous = IPAddress(netmask).flatMap { address -> UInt32? in
            guard case let .v4(bits) = address else { return nil }
            return IPv4Netmask.prefixLength(bits) != nil ? bits : nil
        }
        #expect(rule == contiguous)
    }

    @Test(arguments: ["1", "64", "128", "0", "129"])
    func ipv6PrefixLengthsAgree(prefix: String) {
        let yaml = Self.yamlService(scheduler: "rr", netmask: prefix, address: "[::1]:80")?.persistence?.netmask
        let json = Self.jsonService(scheduler: "rr", netmask: prefix, address: "::1")?.persistence?.netmask
        let rule = Self.ipvsadmService(scheduler: "rr", netmask: prefix, address: "[::1]:80")?.persistence?.netmask
        #expect(yaml == json && json == rule, "yaml \(String(describing: yaml)), json \(String(describing: json)), ipvsadm \(String(describing: rule))")
        #expect((rule != nil) == (1...128).contains(Int(prefix)!))
    }

    // MARK: Thresholds

    static func yamlServer(upper: Int, lower: Int) -> RealServerConfig? {
        let yaml = """
            services:
              - listen: 127.0.0.1:80
                servers: [{address: 127.0.0.2:81, upper_threshold: \(upper), lower_threshold: \(lower)}]
            """
        return try? DirectorConfiguration.parse(ConfigDocument.parse(yaml, file: "t.yaml")).services.first?.servers.first?.config
    }

    static func jsonServer(upper: Int, lower: Int) -> RealServerConfig? {
        let body = JSONValue.object(["address": .string("127.0.0.2"), "port": .number(81),
                                     "upper_threshold": .number(Double(upper)), "lower_threshold": .number(Double(lower))])
        guard case let .addServer(_, config)? = try? MutationRequests.addServer(body, service: .address(.tcp, Endpoint("127.0.0.1:80")!)) else {
            return nil
        }
        return config
    }

    /// ipvsadm text: the parser reads the numbers, the table (the kernel's side) refuses bad combinations.
    static func ipvsadmServer(upper: Int, lower: Int) -> RealServerConfig? {
        var table = DirectorTable()
        do throws(ConfigError) {
            try table.apply(IPVSRuleParser.parse(RuleTokenizer.tokenize("-A -t 127.0.0.1:80")))
            try table.apply(IPVSRuleParser.parse(RuleTokenizer.tokenize("-a -t 127.0.0.1:80 -r 127.0.0.2:81 -m -x \(upper) -y \(lower)")))
        } catch {
            return nil
        }
        return table.service(.address(.tcp, Endpoint("127.0.0.1:80")!))?.servers.first?.config
    }

    @Test(arguments: [(0, 0), (10, 5), (10, 10), (5, 10), (0, 3), (-1, 0), (Int(Int32.max), 0), (Int(Int32.max) + 1, 0)])
    func thresholdsAgree(upper: Int, lower: Int) {
        let yaml = Self.yamlServer(upper: upper, lower: lower).map { [$0.upperThreshold, $0.lowerThreshold] }
        let json = Self.jsonServer(upper: upper, lower: lower).map { [$0.upperThreshold, $0.lowerThreshold] }
        let rule = Self.ipvsadmServer(upper: upper, lower: lower).map { [$0.upperThreshold, $0.lowerThreshold] }
        #expect(yaml == json && json == rule, "yaml \(String(describing: yaml)), json \(String(describing: json)), ipvsadm \(String(describing: rule))")
        let valid = (try? RealServerConfig(endpoint: Endpoint("127.0.0.2:81")!, upperThreshold: upper, lowerThreshold: lower).validate()) != nil
        #expect((rule != nil) == valid)
    }
}
