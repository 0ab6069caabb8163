import Testing
@testable import Director
import ShoalCore
import ShoalTestFixtures

/// The ipvsadm 1.31 argument parser against the behaviour of ipvsadm.c (parse_options / process_options).
@Suite(.offCooperativePool) struct IPVSRuleParserTests {
    // MARK: Helpers

    /// Parses one line split as a rules file would split it.
    static func command(_ line: String) throws(ConfigError) -> IPVSCommand {
        try IPVSRuleParser.parse(RuleTokenizer.tokenize(line))
    }

    /// The error for an argument list (nil when it parses).
    static func failure(_ arguments: [String]) -> ConfigError? {
        do throws(ConfigError) {
            _ = try IPVSRuleParser.parse(arguments)
            return nil
        } catch {
            return error
        }
    }

    static func failure(_ line: String) -> ConfigError? { failure(RuleTokenizer.tokenize(line)) }

    static func rulesFailure(_ text: String, file: String? = nil) -> ConfigError? {
        do throws(ConfigError) {
            _ = try IPVSRuleParser.parseRules(text, file: file)
            return nil
        } catch {
            return error
        }
    }

    static func error(_ field: String?, _ message: String) -> ConfigError { ConfigError(field: field, message) }

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }
    static func ep(_ text: String) -> Endpoint { Endpoint(text)! }
    static func tcp(_ text: String) -> VirtualServiceKey { .address(.tcp, ep(text)) }
    static func udp(_ text: String) -> VirtualServiceKey { .address(.udp, ep(text)) }

    // MARK: Round trip

    @Test func roundTripOfServiceAndServerRules() throws {
        let rules = try IPVSRuleParser.parseRules("""
            -A -t 10.0.0.1:80 -s wlc -p 300 -M 255.255.255.0
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3 -x 10 -y 5
            """)
        #expect(rules.count == 2)
        #expect(rules.map(\.line) == [1, 2])
        let key = Self.tcp("10.0.0.1:80")
        var service = VirtualServiceConfig(key: key, scheduler: .wlc, persistence: Persistence(timeout: 300, netmask: 0xffff_ff00))
        service.netmask = 0xffff_ff00
        #expect(rules[0].command == .addService(service))
        guard case let .addService(parsed) = rules[0].command else { Issue.record("not -A"); return }
        #expect(parsed.persistence?.timeout == 300)
        #expect(parsed.persistence?.netmask == 0xffff_ff00)
        #expect(parsed.netmask == 0xffff_ff00)
        #expect(parsed.scheduler == .wlc)
        let server = RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), forwarding: .masquerade, weight: 3,
                                      upperThreshold: 10, lowerThreshold: 5)
        #expect(rules[1].command == .addServer(key, server))
    }

    // MARK: Commands

    @Test func addServiceDefaults() throws {
        let config = VirtualServiceConfig(key: Self.tcp("10.0.0.1:80"))
        #expect(try Self.command("-A -t 10.0.0.1:80") == .addService(config))
        #expect(config.scheduler == .wlc)
        #expect(config.netmask == 0xffff_ffff)
        #expect(try Self.command("--add-service --tcp-service 10.0.0.1:80") == .addService(config))
    }

    @Test func addServiceWithEveryServiceOption() throws {
        var config = VirtualServiceConfig(key: Self.udp("10.0.0.2:53"), scheduler: .sh,
                                          persistence: Persistence(timeout: 600, netmask: 0xffff_0000),
                                          onePacket: true, schedulerFlags: [.fallback, .port], persistenceEngine: "sip")
        config.netmask = 0xffff_0000
        let parsed = try Self.command("-A -u 10.0.0.2:53 -s sh -p 600 -M 255.255.0.0 -o --pe sip -b sh-fallback,sh-port")
        #expect(parsed == .addService(config))
        let long = try Self.command(
            "--add-service --udp-service=10.0.0.2:53 --scheduler=sh --persistent=600 --netmask=255.255.0.0 --ops --pe=sip --sched-flags=sh-fallback,sh-port")
        #expect(long == .addService(config))
    }

    @Test func sctpService() throws {
        let config = VirtualServiceConfig(key: .address(.sctp, Self.ep("10.0.0.1:5000")), scheduler: .rr)
        #expect(try Self.command("-A --sctp-service 10.0.0.1:5000 -s rr") == .addService(config))
    }

    @Test func everySchedulerName() throws {
        for scheduler in SchedulerName.allCases {
            let parsed = try Self.command("-A -t 10.0.0.1:80 -s \(scheduler.rawValue)")
            #expect(parsed == .addService(VirtualServiceConfig(key: Self.tcp("10.0.0.1:80"), scheduler: scheduler)))
        }
    }

    @Test func editServiceResetsUnspecifiedOptionsToDefaults() throws {
        // -E without -s sends wlc, and without -p makes the service non-persistent, as ipvsadm does.
        let parsed = try Self.command("-E -t 10.0.0.1:80")
        #expect(parsed == .editService(VirtualServiceConfig(key: Self.tcp("10.0.0.1:80"), scheduler: .wlc)))
        let persistent = try Self.command("--edit-service -t 10.0.0.1:80 -s rr -p")
        #expect(persistent == .editService(VirtualServiceConfig(key: Self.tcp("10.0.0.1:80"), scheduler: .rr,
                                                                persistence: Persistence(timeout: 360, netmask: 0xffff_ffff))))
    }

    @Test func deleteService() throws {
        #expect(try Self.command("-D -t 10.0.0.1:80") == .deleteService(Self.tcp("10.0.0.1:80")))
        #expect(try Self.command("--delete-service -f 5") == .deleteService(.fwmark(5, .inet)))
    }

    @Test func clearAndZero() throws {
        #expect(try Self.command("-C") == .flush)
        #expect(try Self.command("--clear") == .flush)
        #expect(try Self.command("-Z") == .zero(nil))
        #expect(try Self.command("--zero -u 10.0.0.1:53") == .zero(Self.udp("10.0.0.1:53")))
        #expect(try Self.command("-Z -f 3 -6") == .zero(.fwmark(3, .inet6)))
    }

    @Test func addEditDeleteServer() throws {
        let key = Self.tcp("10.0.0.1:80")
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"))))
        #expect(try Self.command("--add-server -t 10.0.0.1:80 --real-server 192.168.1.2:8080 --masquerading --weight 0")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:8080"), forwarding: .masquerade, weight: 0)))
        #expect(try Self.command("-e -t 10.0.0.1:80 -r 192.168.1.2 -w 7 -x 100 -y 50")
            == .editServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), weight: 7,
                                                  upperThreshold: 100, lowerThreshold: 50)))
        #expect(try Self.command("-d -t 10.0.0.1:80 -r 192.168.1.2:8080") == .deleteServer(key, Self.ep("192.168.1.2:8080")))
        #expect(try Self.command("--delete-server -t 10.0.0.1:80 -r 192.168.1.2") == .deleteServer(key, Self.ep("192.168.1.2:80")))
    }

    @Test func editServerResetsForwardingAndWeight() throws {
        // ipvsadm sends -g and weight 1 for an -e that does not name them.
        let parsed = try Self.command("-e -t 10.0.0.1:80 -r 192.168.1.2:80")
        guard case let .editServer(_, server) = parsed else { Issue.record("not -e"); return }
        #expect(server.forwarding == .route)
        #expect(server.weight == 1)
        #expect(server.upperThreshold == 0 && server.lowerThreshold == 0)
        #expect(server.tunnel == TunnelInfo())
    }

    @Test func forwardingMethodsAndPortForcing() throws {
        let key = Self.tcp("10.0.0.1:80")
        // -g and -i force the real port to the virtual port (non-fwmark services); -m keeps it.
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2:8080 -g")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), forwarding: .route)))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2:8080 --gatewaying")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), forwarding: .route)))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2:8080 -i")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), forwarding: .tunnel)))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2:8080 --ipip")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), forwarding: .tunnel)))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2:8080 -m")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:8080"), forwarding: .masquerade)))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -m")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), forwarding: .masquerade)))
        // fwmark services keep the given port whatever the method.
        #expect(try Self.command("-a -f 1 -r 192.168.1.2:8080 -g")
            == .addServer(.fwmark(1, .inet), RealServerConfig(endpoint: Self.ep("192.168.1.2:8080"))))
        // -r seen before -t copies the service port known at that time (none yet) when it has no port.
        #expect(try Self.command("-a -r 192.168.1.2 -m -t 10.0.0.1:80")
            == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:0"), forwarding: .masquerade)))
        // -d does not force ports.
        #expect(try Self.command("-d -t 10.0.0.1:80 -r 192.168.1.2:8080")
            == .deleteServer(key, Self.ep("192.168.1.2:8080")))
    }

    @Test func setTimeouts() throws {
        #expect(try Self.command("--set 900 120 300") == .setTimeouts(tcp: 900, tcpFin: 120, udp: 300))
        #expect(try Self.command("--set 0 0 2678400") == .setTimeouts(tcp: 0, tcpFin: 0, udp: 2_678_400))
        #expect(try IPVSRuleParser.parse(["--set", "--", "1", "2", "3"]) == .setTimeouts(tcp: 1, tcpFin: 2, udp: 3))
    }

    @Test func listOptions() throws {
        #expect(try Self.command("-L") == .list(ListOptions()))
        #expect(try Self.command("-l") == .list(ListOptions()))
        #expect(try Self.command("--list") == .list(ListOptions()))
        var numeric = ListOptions()
        numeric.numeric = true
        #expect(try Self.command("-Ln") == .list(numeric))
        #expect(try Self.command("-L -n") == .list(numeric))
        #expect(try Self.command("-L --numeric") == .list(numeric))

        var connections = ListOptions()
        connections.numeric = true
        connections.connections = true
        #expect(try Self.command("-Lnc") == .list(connections))
        #expect(try Self.command("-lcn") == .list(connections))
        #expect(try Self.command("-L --connection -n") == .list(connections))

        var full = ListOptions()
        full.service = Self.tcp("10.0.0.1:80")
        full.stats = true
        full.rate = true
        full.thresholds = true
        full.persistentConnections = true
        full.noSort = true
        full.exact = true
        full.tunnelInfo = true
        full.numeric = true
        #expect(try Self.command("-L -n -t 10.0.0.1:80 --stats --rate --thresholds --persistent-conn --nosort --sort --exact --tun-info")
            == .list(full))
        #expect(try Self.command("-L -n -t 10.0.0.1:80 --stats --rate --thresholds --persistent-conn --nosort -X --tun-info")
            == .list(full))

        var timeout = ListOptions()
        timeout.timeout = true
        #expect(try Self.command("-L --timeout") == .list(timeout))
        var daemon = ListOptions()
        daemon.daemon = true
        #expect(try Self.command("-L --daemon") == .list(daemon))
        var fwmark = ListOptions()
        fwmark.service = .fwmark(9, .inet6)
        #expect(try Self.command("-L -f 9 -6") == .list(fwmark))
    }

    @Test func saveAndRestore() throws {
        #expect(try Self.command("-S") == .save(numeric: false))
        #expect(try Self.command("-S -n") == .save(numeric: true))
        #expect(try Self.command("--save --numeric") == .save(numeric: true))
        #expect(try Self.command("-Sn") == .save(numeric: true))
        #expect(try Self.command("-R") == .restore)
        #expect(try Self.command("--restore") == .restore)
    }

    @Test func syncDaemons() throws {
        #expect(try Self.command("--start-daemon master") == .syncDaemon(start: true, state: "master"))
        #expect(try Self.command("--start-daemon=backup --mcast-interface eth1 --syncid 5 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 2 --sync-maxlen 1400")
            == .syncDaemon(start: true, state: "backup", settings: SyncDaemonSettings(interface: "eth1", syncID: 5, maxLength: 1400,
                                                                                     group: IPAddress("224.0.0.81"), port: 8848, ttl: 2)))
        #expect(try Self.command("--start-daemon master --mcast-group ff02::12")
            == .syncDaemon(start: true, state: "master", settings: SyncDaemonSettings(group: IPAddress("ff02::12"))))
        #expect(try Self.command("--stop-daemon backup --syncid 7") == .syncDaemon(start: false, state: "backup", settings: SyncDaemonSettings(syncID: 7)))
        #expect(try Self.command("--start-daemon master --mcast-interface eth0 --syncid 3 --sync-maxlen 1400 --mcast-group 239.0.0.9 --mcast-port 9000 --mcast-ttl 4")
            == .syncDaemon(start: true, state: "master", settings: SyncDaemonSettings(interface: "eth0", syncID: 3, maxLength: 1400,
                                                                                     group: IPAddress("239.0.0.9"), port: 9000, ttl: 4)))
    }

    // MARK: Option forms

    @Test func attachedAndClusteredShortArguments() throws {
        let key = Self.tcp("10.0.0.1:80")
        let expected = IPVSCommand.addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"), weight: 5))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -w5") == expected)
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -w=5") == expected)
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -w 5") == expected)
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 --weight=5") == expected)
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 --weight 5") == expected)
        #expect(try Self.command("-a -t10.0.0.1:80 -r192.168.1.2 -gw5") == expected)
        // A command clustered with an option that takes the next word or the rest of the word.
        #expect(try Self.command("-at 10.0.0.1:80 -r 192.168.1.2 -w5") == expected)
        #expect(try Self.command("-at10.0.0.1:80 -r 192.168.1.2 -w5") == expected)
        // strtol-style numbers: a sign is accepted.
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -w +5") == expected)
    }

    @Test func persistentOptionalArgument() throws {
        func persistence(_ line: String) throws -> Persistence? {
            guard case let .addService(config) = try Self.command(line) else { return nil }
            return config.persistence
        }
        #expect(try persistence("-A -t 10.0.0.1:80 -p")?.timeout == 360)
        #expect(try persistence("-A -t 10.0.0.1:80 -p -s rr")?.timeout == 360)
        #expect(try persistence("-A -p -t 10.0.0.1:80")?.timeout == 360)
        #expect(try persistence("-A -t 10.0.0.1:80 -p 600")?.timeout == 600)
        #expect(try persistence("-A -t 10.0.0.1:80 -p600")?.timeout == 600)
        #expect(try persistence("-A -t 10.0.0.1:80 -p=600")?.timeout == 600)
        #expect(try persistence("-A -t 10.0.0.1:80 --persistent 600")?.timeout == 600)
        #expect(try persistence("-A -t 10.0.0.1:80 --persistent=600")?.timeout == 600)
        #expect(try persistence("-A -t 10.0.0.1:80 --persistent")?.timeout == 360)
        #expect(try persistence("-A -t 10.0.0.1:80 -p 1")?.timeout == 1)
        #expect(try persistence("-A -t 10.0.0.1:80 -p 2678400")?.timeout == 2_678_400)
        #expect(try persistence("-A -t 10.0.0.1:80")?.timeout == nil)
        // A persistent service may have port 0.
        #expect(try persistence("-A -t 10.0.0.1:0 -p")?.timeout == 360)
        #expect(try persistence("-A -t 10.0.0.1 -p")?.timeout == 360)
    }

    @Test func netmaskForms() throws {
        func netmask(_ line: String) throws -> (UInt32, UInt32?) {
            guard case let .addService(config) = try Self.command(line) else { return (0, nil) }
            return (config.netmask, config.persistence?.netmask)
        }
        #expect(try netmask("-A -t 10.0.0.1:80 -p -M 255.255.255.0") == (0xffff_ff00, 0xffff_ff00))
        // inet_aton forms: hex, a.b.c with a 16-bit last part, octal.
        #expect(try netmask("-A -t 10.0.0.1:80 -p -M 0xffffff00") == (0xffff_ff00, 0xffff_ff00))
        #expect(try netmask("-A -t 10.0.0.1:80 -p -M 255.255.65280") == (0xffff_ff00, 0xffff_ff00))
        #expect(try netmask("-A -t 10.0.0.1:80 -p -M 0377.0377.0.0") == (0xffff_0000, 0xffff_0000))
        // -M without -p is kept on the service; persistence stays off.
        #expect(try netmask("-A -t 10.0.0.1:80 -M 255.0.0.0") == (0xff00_0000, nil))
        // Defaults.
        #expect(try netmask("-A -t 10.0.0.1:80 -p") == (0xffff_ffff, 0xffff_ffff))
        #expect(try netmask("-A -t [2001:db8::1]:80 -p") == (128, 128))
        #expect(try netmask("-A -t [2001:db8::1]:80 -p -M 64") == (64, 64))
        #expect(try netmask("-A -f 1 -6 -p -M 96") == (96, 96))
        #expect(try netmask("-A -f 1 -p") == (0xffff_ffff, 0xffff_ffff))
        // Order, as ipvsadm reads it: -M before an IPv6 service is read as IPv4 and then reset to 128 by the
        // service; -6 after -M resets it too.
        #expect(try netmask("-A -M 64 -t [2001:db8::1]:80 -p") == (128, 128))
        #expect(try netmask("-A -f 1 -M 64 -6 -p") == (128, 128))
        // -M before an IPv4 service is kept.
        #expect(try netmask("-A -p -M 255.255.255.0 -t 10.0.0.1:80") == (0xffff_ff00, 0xffff_ff00))
    }

    @Test func doubleDashEndsOptionsAndLoneDashIsAnArgument() throws {
        #expect(Self.failure(["-C", "--", "-n"]) == Self.error(nil, "unexpected argument -n"))
        #expect(Self.failure(["-C", "-"]) == Self.error(nil, "unexpected argument -"))
    }

    @Test func sortIsANoOp() throws {
        #expect(try Self.command("-L --sort") == .list(ListOptions()))
        #expect(try Self.command("-L --sort --sort") == .list(ListOptions()))
    }

    // MARK: Addresses

    @Test func ipv6ServicesAndServers() throws {
        let key = VirtualServiceKey.address(.tcp, Endpoint(Self.ip("2001:db8::1"), 443))
        #expect(try Self.command("-A -t [2001:db8::1]:443") == .addService(VirtualServiceConfig(key: key)))
        #expect(try Self.command("-a -t [2001:db8::1]:443 -r [2001:db8::2]:8443 -m -w 2")
            == .addServer(key, RealServerConfig(endpoint: Endpoint(Self.ip("2001:db8::2"), 8443), forwarding: .masquerade, weight: 2)))
        // A bare IPv6 address is an address without a port (the colons are not a port separator).
        #expect(try Self.command("-a -t [2001:db8::1]:443 -r 2001:db8::2 -m")
            == .addServer(key, RealServerConfig(endpoint: Endpoint(Self.ip("2001:db8::2"), 443), forwarding: .masquerade)))
        #expect(try Self.command("-A -t 2001:db8::1 -p")
            == .addService(VirtualServiceConfig(key: .address(.tcp, Endpoint(Self.ip("2001:db8::1"), 0)),
                                                persistence: Persistence(netmask: 128))))
        #expect(try Self.command("-D -u [::1]:53") == .deleteService(.address(.udp, Endpoint(Self.ip("::1"), 53))))
        // Tunnelling servers may be of the other family.
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 2001:db8::2 -i")
            == .addServer(Self.tcp("10.0.0.1:80"), RealServerConfig(endpoint: Endpoint(Self.ip("2001:db8::2"), 80), forwarding: .tunnel)))
    }

    @Test func fwmarkServices() throws {
        #expect(try Self.command("-A -f 1") == .addService(VirtualServiceConfig(key: .fwmark(1, .inet))))
        #expect(try Self.command("-A -f 4294967295 -s rr") == .addService(VirtualServiceConfig(key: .fwmark(4_294_967_295, .inet), scheduler: .rr)))
        let v6 = try Self.command("-A --fwmark-service 10 --ipv6")
        #expect(v6 == .addService(VirtualServiceConfig(key: .fwmark(10, .inet6))))
        guard case let .addService(config) = v6 else { return }
        #expect(config.netmask == 128)
        #expect(try Self.command("-a -f 10 -6 -r [2001:db8::5]:80 -m")
            == .addServer(.fwmark(10, .inet6), RealServerConfig(endpoint: Endpoint(Self.ip("2001:db8::5"), 80), forwarding: .masquerade)))
        // -o is allowed for fwmark services whatever the protocol.
        #expect(try Self.command("-A -f 2 -o") == .addService(VirtualServiceConfig(key: .fwmark(2, .inet), onePacket: true)))
    }

    @Test func ipv4AddressFormsOfInetAton() throws {
        #expect(try Self.command("-D -t 10.1:80") == .deleteService(Self.tcp("10.0.0.1:80")))
        #expect(try Self.command("-D -t 0x0a000001:80") == .deleteService(Self.tcp("10.0.0.1:80")))
        #expect(try Self.command("-D -t 012.0.0.1:80") == .deleteService(Self.tcp("10.0.0.1:80")))
        #expect(try Self.command("-D -t 10.0.0.1:+80") == .deleteService(Self.tcp("10.0.0.1:80")))
        #expect(try Self.command("-D -t 10.0.0.1:65535") == .deleteService(Self.tcp("10.0.0.1:65535")))
        // The bracket form with an IPv4 address loses its port, as parse_service does.
        #expect(try Self.command("-D -t [10.0.0.1]:80") == .deleteService(Self.tcp("10.0.0.1:0")))
    }

    @Test func schedulerFlags() throws {
        func flags(_ line: String) throws -> SchedulerFlags? {
            guard case let .addService(config) = try Self.command(line) else { return nil }
            return config.schedulerFlags
        }
        #expect(try flags("-A -t 10.0.0.1:80 -b flag-1,flag-2,flag-3") == [.flag1, .flag2, .flag3])
        #expect(try flags("-A -t 10.0.0.1:80 -s sh -b sh-fallback") == [.fallback])
        #expect(try flags("-A -t 10.0.0.1:80 -s sh -b sh-port,,sh-fallback") == [.fallback, .port])
        #expect(try flags("-A -t 10.0.0.1:80 -s mh -b mh-port") == [.port])
        #expect(try flags("-A -t 10.0.0.1:80 --sched-flags mh-fallback -s mh") == [.fallback])
        #expect(try flags("-A -t 10.0.0.1:80 -s mh") == [])
        #expect(try flags("-A -t 10.0.0.1:80 -b flag-2 -s sh") == [.flag2])
    }

    @Test func tunnelOptions() throws {
        let key = Self.tcp("10.0.0.1:80")
        let endpoint = Self.ep("192.168.1.2:80")
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -i --tun-type gue --tun-port 6080 --tun-remcsum")
            == .addServer(key, RealServerConfig(endpoint: endpoint, forwarding: .tunnel,
                                                tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .remote))))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -i --tun-type gue --tun-port 6080 --tun-csum")
            == .addServer(key, RealServerConfig(endpoint: endpoint, forwarding: .tunnel,
                                                tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .checksum))))
        #expect(try Self.command("-e -t 10.0.0.1:80 -r 192.168.1.2 -i --tun-type gue --tun-port 6080 --tun-nocsum")
            == .editServer(key, RealServerConfig(endpoint: endpoint, forwarding: .tunnel,
                                                 tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .none))))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -i --tun-type gre --tun-csum")
            == .addServer(key, RealServerConfig(endpoint: endpoint, forwarding: .tunnel,
                                                tunnel: TunnelInfo(kind: .gre, checksum: .checksum))))
        #expect(try Self.command("-a -t 10.0.0.1:80 -r 192.168.1.2 -i --tun-type ipip")
            == .addServer(key, RealServerConfig(endpoint: endpoint, forwarding: .tunnel)))
    }

    // MARK: Errors: option syntax

    @Test func noCommand() {
        #expect(Self.failure([String]()) == Self.error(nil, "no command specified"))
        #expect(Self.failure(["10.0.0.1:80"]) == Self.error(nil, "no command specified"))
        #expect(Self.failure(["--"]) == Self.error(nil, "no command specified"))
        #expect(Self.failure("-t 10.0.0.1:80 -A") == Self.error("-t", "no command specified before `-t'"))
        #expect(Self.failure("-nL") == Self.error("-n", "no command specified before `-n'"))
        #expect(Self.failure("--numeric -L") == Self.error("-n", "no command specified before `-n'"))
        #expect(Self.failure("-h") == Self.error("-h", "--help is not a rule command"))
        #expect(Self.failure("--help") == Self.error("-h", "--help is not a rule command"))
        #expect(Self.failure("-v") == Self.error("-v", "--version is not a rule command"))
        #expect(Self.failure("--version") == Self.error("-v", "--version is not a rule command"))
    }

    @Test func invalidOptions() {
        #expect(Self.failure("--foo") == Self.error("--foo", "invalid option `--foo'"))
        #expect(Self.failure("-L --foo") == Self.error("--foo", "invalid option `--foo'"))
        #expect(Self.failure("-L --foo=bar") == Self.error("--foo", "invalid option `--foo'"))
        #expect(Self.failure("-Lq") == Self.error("-q", "invalid option `-q'"))
        #expect(Self.failure("-L -n -q") == Self.error("-q", "invalid option `-q'"))
        // Long names must match exactly (popt has no abbreviations) and need two dashes.
        #expect(Self.failure("-L --num") == Self.error("--num", "invalid option `--num'"))
        // `-numeric` is the cluster -n -u "meric".
        #expect(Self.failure("-L -numeric") == Self.error("-u", "illegal virtual server address[:port] specified"))
        // -h / -v after the command reach parse_options' default branch.
        #expect(Self.failure("-L -h") == Self.error("-h", "invalid option `-h'"))
        #expect(Self.failure("-Lv") == Self.error("-v", "invalid option `-v'"))
        #expect(Self.failure("-L --numeric=1") == Self.error("-n", "option does not take an argument"))
    }

    @Test func missingArguments() {
        #expect(Self.failure("-A -t") == Self.error("-t", "missing argument"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -s") == Self.error("-s", "missing argument"))
        #expect(Self.failure("-A -t 10.0.0.1:80 --scheduler") == Self.error("-s", "missing argument"))
        #expect(Self.failure("--start-daemon") == Self.error("--start-daemon", "missing argument"))
        // A required argument is taken even when it starts with '-'.
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -w -1") == Self.error("-w", "illegal weight specified"))
    }

    @Test func multipleCommandsAndOptions() {
        #expect(Self.failure("-A -a -t 10.0.0.1:80") == Self.error("-a", "multiple commands specified"))
        #expect(Self.failure("-AD -t 10.0.0.1:80") == Self.error("-D", "multiple commands specified"))
        #expect(Self.failure("-L -L") == Self.error("-L", "multiple commands specified"))
        #expect(Self.failure("-C --set 1 2 3") == Self.error("--set", "multiple commands specified"))
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -w 1 -w 2")
            == Self.error("-w", "multiple 'weight' options specified"))
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -w 1 --weight=2")
            == Self.error("-w", "multiple 'weight' options specified"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -f 1") == Self.error("-f", "multiple 'service-address' options specified"))
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -m -g")
            == Self.error("-g", "multiple 'forwarding-method' options specified"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -p -p") == Self.error("-p", "multiple 'persistent' options specified"))
        #expect(Self.failure("-L -n -n") == Self.error("-n", "multiple 'numeric' options specified"))
    }

    // MARK: Errors: option values

    @Test func illegalServiceAddresses() {
        let message = "illegal virtual server address[:port] specified"
        for bad in ["80", "", "10.0.0.1:http", "10.0.0.1:70000", "10.0.0.1:-1", "10.0.0.1:", "[2001:db8::1]",
                    "[2001:db8::1]80", "[2001:db8::1:80", "www.example.com:80", "10.0.0.256:80", "1.2.3.4.5:80",
                    "::g:80", "+1::2", "10.0.0.1:80 "] {
            #expect(Self.failure(["-A", "-t", bad]) == Self.error("-t", message), "\(bad)")
        }
        #expect(Self.failure("-A -u 80") == Self.error("-u", message))
        #expect(Self.failure("-A --sctp-service x") == Self.error("--sctp-service", message))
        #expect(Self.failure("-A --tcp-service=x") == Self.error("-t", message))
    }

    @Test func illegalRealServerAddresses() {
        let message = "illegal real server address[:port] specified"
        for bad in ["8080", "192.168.1.2:http", "192.168.1.2:65536", "[::1]", "host.example:80"] {
            #expect(Self.failure(["-a", "-t", "10.0.0.1:80", "-r", bad]) == Self.error("-r", message), "\(bad)")
        }
    }

    @Test func illegalFwmarks() {
        for bad in ["0", "abc", "-1", "4294967296", "1x", ""] {
            #expect(Self.failure(["-A", "-f", bad]) == Self.error("-f", "invalid fwmark value `\(bad)' specified"), "\(bad)")
        }
    }

    @Test func illegalTimeouts() {
        #expect(Self.failure("-A -t 10.0.0.1:80 -p abc") == Self.error("-p", "invalid timeout value `abc' specified"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -p 0") == Self.error("-p", "invalid timeout value `0' specified"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -p 2678401") == Self.error("-p", "invalid timeout value `2678401' specified"))
        #expect(Self.failure("-A -t 10.0.0.1:80 --persistent=") == Self.error("-p", "invalid timeout value `' specified"))
        #expect(Self.failure("--set 1 2 abc") == Self.error("--set", "invalid timeout value `abc' specified"))
        #expect(Self.failure("--set 2678401 2 3") == Self.error("--set", "invalid timeout value `2678401' specified"))
        #expect(Self.failure("--set 1 2") == Self.error("--set", "--set option requires 3 timeout values"))
        #expect(Self.failure("--set") == Self.error("--set", "--set option requires 3 timeout values"))
        #expect(Self.failure("--set 1 2 3 4") == Self.error(nil, "unexpected argument 4"))
    }

    @Test func unexpectedArguments() {
        #expect(Self.failure("-A -t 10.0.0.1:80 extra") == Self.error(nil, "unexpected argument extra"))
        #expect(Self.failure("extra -C") == Self.error(nil, "unexpected argument extra"))
        #expect(Self.failure("-L -n 1 2") == Self.error(nil, "unexpected argument 1"))
        // A timeout after -p is its argument, not a stray word; a second word is.
        #expect(Self.failure("-A -t 10.0.0.1:80 -p 300 400") == Self.error(nil, "unexpected argument 400"))
    }

    @Test func illegalNetmasks() {
        for bad in ["255.255.255.256", "abc", "", "1.2.3.4.5", "08"] {
            #expect(Self.failure(["-A", "-t", "10.0.0.1:80", "-p", "-M", bad])
                == Self.error("-M", "illegal virtual server persistent mask specified"), "\(bad)")
        }
        for bad in ["0", "129", "abc", "-64"] {
            #expect(Self.failure(["-A", "-t", "[2001:db8::1]:80", "-p", "-M", bad])
                == Self.error("-M", "illegal ipv6 netmask specified"), "\(bad)")
            #expect(Self.failure(["-A", "-f", "1", "-6", "-M", bad])
                == Self.error("-M", "illegal ipv6 netmask specified"), "\(bad)")
        }
    }

    @Test func illegalWeightsAndThresholds() {
        let prefix = "-a -t 10.0.0.1:80 -r 192.168.1.2 "
        #expect(Self.failure(prefix + "-w 2147483648") == Self.error("-w", "illegal weight specified"))
        #expect((try? Self.command(prefix + "-w 70000")) != nil)
        #expect(Self.failure(prefix + "-w abc") == Self.error("-w", "illegal weight specified"))
        #expect(Self.failure(prefix + "-w 1.5") == Self.error("-w", "illegal weight specified"))
        #expect(Self.failure(prefix + "-x -1") == Self.error("-x", "illegal u_threshold specified"))
        #expect(Self.failure(prefix + "-x 2147483648") == Self.error("-x", "illegal u_threshold specified"))
        #expect(Self.failure(prefix + "--u-threshold=a") == Self.error("-x", "illegal u_threshold specified"))
        #expect(Self.failure(prefix + "-y 99999999999999999999") == Self.error("-y", "illegal l_threshold specified"))
        #expect(Self.failure(prefix + "--l-threshold x") == Self.error("-y", "illegal l_threshold specified"))
        #expect(throws: Never.self) { try Self.command(prefix + "-w 65535 -x 2147483647 -y 2147483647") }
    }

    @Test func illegalDaemonOptions() {
        #expect(Self.failure("--start-daemon slave") == Self.error("--start-daemon", "illegal start-daemon parameter specified"))
        #expect(Self.failure("--stop-daemon slave") == Self.error("--stop-daemon", "illegal start_daemon specified"))
        #expect(Self.failure("--start-daemon master --syncid 256") == Self.error("--syncid", "illegal syncid specified"))
        #expect(Self.failure("--start-daemon master --mcast-group 10.0.0.1")
            == Self.error("--mcast-group", "invalid IPv4 mcast-group `10.0.0.1'"))
        #expect(Self.failure("--start-daemon master --mcast-group 224.0.0.081")
            == Self.error("--mcast-group", "invalid IPv4 mcast-group `224.0.0.081'"))
        #expect(Self.failure("--start-daemon master --mcast-group 2001:db8::1")
            == Self.error("--mcast-group", "invalid IPv6 mcast-group `2001:db8::1'"))
        #expect(Self.failure("--start-daemon master --mcast-port 0") == Self.error("--mcast-port", "illegal mcast-port specified"))
        #expect(Self.failure("--start-daemon master --mcast-ttl 256") == Self.error("--mcast-ttl", "illegal mcast-ttl specified"))
        #expect(Self.failure("--start-daemon master --sync-maxlen 65508")
            == Self.error("--sync-maxlen", "illegal sync-maxlen specified"))
        #expect(Self.failure("--stop-daemon master --mcast-interface eth0")
            == Self.error("--mcast-interface", "Illegal 'mcast-interface' option with the 'stop-daemon' command"))
    }

    @Test func ipv6BeforeFwmark() {
        #expect(Self.failure("-A -6 -f 1") == Self.error("-6", "-6 used before -f"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -6") == Self.error("-6", "-6 used before -f"))
        #expect(Self.failure("-A -t 10.0.0.1:80 --ipv6") == Self.error("-6", "-6 used before -f"))
    }

    @Test func illegalTunnelValues() {
        let prefix = "-a -t 10.0.0.1:80 -r 192.168.1.2 -i "
        #expect(Self.failure(prefix + "--tun-type vxlan") == Self.error("--tun-type", "illegal tunnel type specified"))
        #expect(Self.failure(prefix + "--tun-type gue --tun-port 0") == Self.error("--tun-port", "illegal tunnel port specified"))
        #expect(Self.failure(prefix + "--tun-type gue --tun-port 65536") == Self.error("--tun-port", "illegal tunnel port specified"))
    }

    @Test func schedulerFlagErrors() {
        #expect(Self.failure("-A -t 10.0.0.1:80 -b sh-port") == Self.error("-b", "incompatible scheduler flag `sh-port'"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -s mh -b sh-fallback") == Self.error("-b", "incompatible scheduler flag `sh-fallback'"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -s sh -b mh-port") == Self.error("-b", "incompatible scheduler flag `mh-port'"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -b mh-fallback") == Self.error("-b", "incompatible scheduler flag `mh-fallback'"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -b x") == Self.error("-b", "invalid scheduler flag `x'"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -b flag-1,x") == Self.error("-b", "invalid scheduler flag `x'"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -b ,") == Self.error("-b", "invalid scheduler flag `,'"))
        // The flags are checked before the command table, as parse_options does.
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -b sh-port") == Self.error("-b", "incompatible scheduler flag `sh-port'"))
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -b flag-1")
            == Self.error("-b", "Illegal 'sched-flags' option with the 'add-server' command"))
    }

    // MARK: Errors: the commands_v_options table

    @Test func genericOptionCheck() {
        #expect(Self.failure("-A -t 10.0.0.1:80 -w 3") == Self.error("-w", "Illegal 'weight' option with the 'add-service' command"))
        #expect(Self.failure("-A -t 10.0.0.1:80 --weight=3") == Self.error("-w", "Illegal 'weight' option with the 'add-service' command"))
        #expect(Self.failure("-A -s rr") == Self.error("-A", "You need to supply the 'service-address' option for the 'add-service' command"))
        #expect(Self.failure("-E") == Self.error("-E", "You need to supply the 'service-address' option for the 'edit-service' command"))
        #expect(Self.failure("-D") == Self.error("-D", "You need to supply the 'service-address' option for the 'delete-service' command"))
        #expect(Self.failure("-a -t 10.0.0.1:80") == Self.error("-a", "You need to supply the 'real-server' option for the 'add-server' command"))
        #expect(Self.failure("-e -t 10.0.0.1:80") == Self.error("-e", "You need to supply the 'real-server' option for the 'edit-server' command"))
        #expect(Self.failure("-d -t 10.0.0.1:80") == Self.error("-d", "You need to supply the 'real-server' option for the 'delete-server' command"))
        #expect(Self.failure("-a -r 192.168.1.2") == Self.error("-a", "You need to supply the 'service-address' option for the 'add-server' command"))
        #expect(Self.failure("-D -t 10.0.0.1:80 -s rr") == Self.error("-s", "Illegal 'scheduler' option with the 'delete-service' command"))
        #expect(Self.failure("-C -n") == Self.error("-n", "Illegal 'numeric' option with the 'flush' command"))
        #expect(Self.failure("-C -t 10.0.0.1:80") == Self.error("-t", "Illegal 'service-address' option with the 'flush' command"))
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -s rr") == Self.error("-s", "Illegal 'scheduler' option with the 'add-server' command"))
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 192.168.1.2 -p") == Self.error("-p", "Illegal 'persistent' option with the 'add-server' command"))
        #expect(Self.failure("-d -t 10.0.0.1:80 -r 192.168.1.2 -m") == Self.error("-m", "Illegal 'forwarding-method' option with the 'delete-server' command"))
        #expect(Self.failure("-d -t 10.0.0.1:80 -r 192.168.1.2 -w 1") == Self.error("-w", "Illegal 'weight' option with the 'delete-server' command"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -r 192.168.1.2") == Self.error("-r", "Illegal 'real-server' option with the 'add-service' command"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -m") == Self.error("-m", "Illegal 'forwarding-method' option with the 'add-service' command"))
        #expect(Self.failure("-A -t 10.0.0.1:80 -n") == Self.error("-n", "Illegal 'numeric' option with the 'add-service' command"))
        #expect(Self.failure("-A -t 10.0.0.1:80 --tun-info") == Self.error("--tun-info", "Illegal 'tun-info' option with the 'add-service' command"))
        #expect(Self.failure("-Z -n") == Self.error("-n", "Illegal 'numeric' option with the 'zero' command"))
        #expect(Self.failure("-S -c") == Self.error("-c", "Illegal 'connection' option with the 'save' command"))
        #expect(Self.failure("-R -n") == Self.error("-n", "Illegal 'numeric' option with the 'restore' command"))
        #expect(Self.failure("--set 1 2 3 -n") == Self.error("-n", "Illegal 'numeric' option with the 'set' command"))
        #expect(Self.failure("-L -s rr") == Self.error("-s", "Illegal 'scheduler' option with the 'list' command"))
        #expect(Self.failure("-L -M 255.0.0.0") == Self.error("-M", "Illegal 'netmask' option with the 'list' command"))
        #expect(Self.failure("-L --tun-type gue") == Self.error("--tun-type", "Illegal 'tun-type' option with the 'list' command"))
        #expect(Self.failure("--start-daemon master -n") == Self.error("-n", "Illegal 'numeric' option with the 'start-daemon' command"))
        // The lowest-numbered offending option is reported first.
        #expect(Self.failure("-A -t 10.0.0.1:80 -w 1 -n") == Self.error("-n", "Illegal 'numeric' option with the 'add-service' command"))
        // The '1' options of -L exclude each other.
        #expect(Self.failure("-L -c -t 10.0.0.1:80")
            == Self.error("-t", "The option 'service-address' conflicts with the 'connection' option in the 'list' command"))
        #expect(Self.failure("-L --timeout --daemon")
            == Self.error("--daemon", "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"))
        #expect(Self.failure("-L -f 1 --timeout")
            == Self.error("--timeout", "The option 'timeout' conflicts with the 'service-address' option in the 'list' command"))
        #expect(Self.failure("-L -c --daemon")
            == Self.error("--daemon", "The option 'daemon' conflicts with the 'connection' option in the 'list' command"))
    }

    @Test func listConflicts() {
        let message = "options conflicts in the list command"
        #expect(Self.failure("-L -c --stats") == Self.error("-L", message))
        #expect(Self.failure("-l -c --rate") == Self.error("-l", message))
        #expect(Self.failure("-L --timeout --thresholds") == Self.error("-L", message))
        #expect(Self.failure("-L --daemon --stats") == Self.error("-L", message))
        #expect(Self.failure("-L --timeout --persistent-conn") == Self.error("-L", message))
        #expect(Self.failure("-L --daemon --persistent-conn") == Self.error("-L", message))
        // -c with --persistent-conn is allowed.
        #expect(throws: Never.self) { try Self.command("-L -c --persistent-conn") }
    }

    // MARK: Errors: process_options checks

    @Test func zeroPortNeedsPersistence() {
        let message = "Zero port specified for non-persistent service"
        #expect(Self.failure("-A -t 10.0.0.1") == Self.error("-t", message))
        #expect(Self.failure("-A -t 10.0.0.1:0") == Self.error("-t", message))
        #expect(Self.failure("-E -u 10.0.0.1:0") == Self.error("-u", message))
        #expect(Self.failure("-A -t [10.0.0.1]:80") == Self.error("-t", message))
        #expect(Self.failure("-A -t 2001:db8::1") == Self.error("-t", message))
        // Not checked for -D.
        #expect(throws: Never.self) { try Self.command("-D -t 10.0.0.1") }
    }

    @Test func onePacketOnlyForUDP() {
        let message = "One-Packet Scheduling is only for UDP virtual services"
        #expect(Self.failure("-A -t 10.0.0.1:80 -o") == Self.error("-o", message))
        #expect(Self.failure("-E --sctp-service 10.0.0.1:80 --ops") == Self.error("-o", message))
        #expect(throws: Never.self) { try Self.command("-A -u 10.0.0.1:53 -o") }
    }

    @Test func unknownSchedulerAndPersistenceEngine() throws {
        #expect(Self.failure("-A -t 10.0.0.1:80 -s foo") == Self.error("-s", "Scheduler not found: foo"))
        #expect(Self.failure("-E -t 10.0.0.1:80 --scheduler=WLC") == Self.error("-s", "Scheduler not found: WLC"))
        #expect(Self.failure("-A -t 10.0.0.1:80 --pe foo") == Self.error("--pe", "Scheduler or persistence engine not found"))
        // An empty scheduler name is ipvsadm's default.
        #expect(try IPVSRuleParser.parse(["-A", "-t", "10.0.0.1:80", "-s", ""]) == .addService(VirtualServiceConfig(key: Self.tcp("10.0.0.1:80"))))
        #expect(try IPVSRuleParser.parse(["-A", "-t", "10.0.0.1:80", "--pe", ""]) == .addService(VirtualServiceConfig(key: Self.tcp("10.0.0.1:80"))))
    }

    @Test func addressFamilyOfServers() {
        let message = "Different address family is allowed only for tunneling servers"
        #expect(Self.failure("-a -t 10.0.0.1:80 -r 2001:db8::2") == Self.error("-r", message))
        #expect(Self.failure("-e -t [2001:db8::1]:80 -r 192.168.1.2:80 -m") == Self.error("-r", message))
        #expect(Self.failure("-a -f 1 -r [2001:db8::2]:80 -m") == Self.error("-r", message))
        #expect(Self.failure("-a -f 1 -6 -r 192.168.1.2 -g") == Self.error("-r", message))
    }

    @Test func tunnelOptionErrors() {
        let prefix = "-a -t 10.0.0.1:80 -r 192.168.1.2 "
        #expect(Self.failure(prefix + "--tun-type gue --tun-port 6080")
            == Self.error("--tun-type", "Tunnel options conflict with forward method"))
        #expect(Self.failure(prefix + "-m --tun-csum") == Self.error("--tun-csum", "Tunnel options conflict with forward method"))
        #expect(Self.failure(prefix + "-i --tun-type gue")
            == Self.error("--tun-port", "You need to supply the 'tun-port' option for the 'gue' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-port 6080")
            == Self.error("--tun-port", "Illegal 'tun-port' option with the 'ipip' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-csum")
            == Self.error("--tun-csum", "Illegal 'tun-csum' option with the 'ipip' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-type gre --tun-port 6080")
            == Self.error("--tun-port", "Illegal 'tun-port' option with the 'gre' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-type gre --tun-remcsum")
            == Self.error("--tun-remcsum", "Illegal 'tun-remcsum' option with the 'gre' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-type gue --tun-port 6080 --tun-csum --tun-nocsum")
            == Self.error("--tun-csum", "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-type gre --tun-csum --tun-nocsum")
            == Self.error("--tun-csum", "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type"))
        #expect(Self.failure(prefix + "-i --tun-type gue --tun-port 1 --tun-csum --tun-remcsum")
            == Self.error("--tun-remcsum", "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type"))
        #expect(Self.failure("-d -t 10.0.0.1:80 -r 192.168.1.2 --tun-type gue")
            == Self.error("--tun-type", "Illegal 'tun-type' option with the 'delete-server' command"))
    }

    // MARK: Rules files

    @Test func tokenizer() {
        #expect(RuleTokenizer.tokenize("ipvsadm -A -t 10.0.0.1:80 -s rr") == ["-A", "-t", "10.0.0.1:80", "-s", "rr"])
        #expect(RuleTokenizer.tokenize("  -A\t-t   10.0.0.1:80\r") == ["-A", "-t", "10.0.0.1:80"])
        #expect(RuleTokenizer.tokenize("-A -t 10.0.0.1:80 # web ipvsadm") == ["-A", "-t", "10.0.0.1:80"])
        #expect(RuleTokenizer.tokenize("-A -t 10.0.0.1:80 #comment") == ["-A", "-t", "10.0.0.1:80"])
        #expect(RuleTokenizer.tokenize("-A a#b") == ["-A", "a#b"])
        #expect(RuleTokenizer.tokenize("   # a comment line") == [])
        #expect(RuleTokenizer.tokenize("#-A -t 10.0.0.1:80") == [])
        #expect(RuleTokenizer.tokenize("") == [])
        #expect(RuleTokenizer.tokenize("ipvsadm") == [])
        #expect(RuleTokenizer.tokenize("-C ipvsadm") == ["-C"])
        #expect(RuleTokenizer.tokenize("/sbin/ipvsadm -C") == ["/sbin/ipvsadm", "-C"])

        let lines = RuleTokenizer.lines("-C\r\n\r\n# comment\n  ipvsadm  \n-A -t 10.0.0.1:80\n-Z")
        #expect(lines.map(\.line) == [1, 5, 6])
        #expect(lines.map(\.tokens) == [["-C"], ["-A", "-t", "10.0.0.1:80"], ["-Z"]])
        #expect(RuleTokenizer.lines("").isEmpty)
        #expect(RuleTokenizer.lines("\n\n").isEmpty)
    }

    @Test func parseRulesSkipsBlankAndCommentLines() throws {
        let text = """
            # saved by ipvsadm -S
            ipvsadm -A -t 10.0.0.1:80 -s rr

            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -g -w 1   # first server
            \t-a -t 10.0.0.1:80 -r 192.168.1.3:80 -g -w 2\r
            -A -u 10.0.0.1:53 -s wlc -o
            -Z
            -C
            --set 10 20 30
            """
        let rules = try IPVSRuleParser.parseRules(text, file: "rules.txt")
        #expect(rules.map(\.line) == [2, 4, 5, 6, 7, 8, 9])
        let key = Self.tcp("10.0.0.1:80")
        #expect(rules[0].command == .addService(VirtualServiceConfig(key: key, scheduler: .rr)))
        #expect(rules[1].command == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.2:80"))))
        #expect(rules[2].command == .addServer(key, RealServerConfig(endpoint: Self.ep("192.168.1.3:80"), weight: 2)))
        #expect(rules[3].command == .addService(VirtualServiceConfig(key: Self.udp("10.0.0.1:53"), onePacket: true)))
        #expect(rules[4].command == .zero(nil))
        #expect(rules[5].command == .flush)
        #expect(rules[6].command == .setTimeouts(tcp: 10, tcpFin: 20, udp: 30))
        #expect(try IPVSRuleParser.parseRules("").isEmpty)
        #expect(try IPVSRuleParser.parseRules("# nothing\n\n").isEmpty)
    }

    @Test func parseRulesReportsTheLineOfAnError() {
        let text = "-A -t 10.0.0.1:80\n# ok\n-a -t 10.0.0.1:80 -r 192.168.1.2 -w 2147483648\n-C\n"
        #expect(Self.rulesFailure(text, file: "rules.txt")
            == ConfigError(file: "rules.txt", line: 3, field: "-w", "illegal weight specified"))
        #expect(Self.rulesFailure(text) == ConfigError(line: 3, field: "-w", "illegal weight specified"))
        #expect(Self.rulesFailure("-C\n\n-A -t 10.0.0.1:80 -w 3")
            == ConfigError(line: 3, field: "-w", "Illegal 'weight' option with the 'add-service' command"))
        #expect(Self.rulesFailure("-C\r\n-A -t 10.0.0.1:80 -s foo\r\n")
            == ConfigError(line: 2, field: "-s", "Scheduler not found: foo"))
        #expect(Self.rulesFailure("-C\n-t 10.0.0.1:80")?.line == 2)
        #expect(Self.rulesFailure("-C\n-X")?.message == "no command specified before `-X'")
        #expect(Self.rulesFailure("-C\n--foo", file: "f")?.description == "f:2: --foo: invalid option `--foo'")
        #expect(Self.rulesFailure("-C\nipvsadm -A -t x")
            == ConfigError(line: 2, field: "-t", "illegal virtual server address[:port] specified"))
    }

    @Test func parseRulesRefusesRestoreAndNonMutatingCommands() {
        #expect(Self.rulesFailure("-C\n-R", file: "rules")
            == ConfigError(file: "rules", line: 2, field: "-R", "-R is not allowed inside a rules file"))
        #expect(Self.rulesFailure("--restore")?.message == "-R is not allowed inside a rules file")
        #expect(Self.rulesFailure("-C\n-C\n-L -n")
            == ConfigError(line: 3, field: "-L", "-L is not allowed inside a rules file (only commands that change the table are)"))
        #expect(Self.rulesFailure("-S")
            == ConfigError(line: 1, field: "-S", "-S is not allowed inside a rules file (only commands that change the table are)"))
        #expect(Self.rulesFailure("\n--start-daemon master")
            == ConfigError(line: 2, field: "--start-daemon", "--start-daemon is not allowed inside a rules file (only commands that change the table are)"))
        #expect(Self.rulesFailure("--stop-daemon master")?.field == "--stop-daemon")
        // A bad -R line reports its option error first, as process_options checks options before running -R.
        #expect(Self.rulesFailure("-R -n")
            == ConfigError(line: 1, field: "-n", "Illegal 'numeric' option with the 'restore' command"))
    }
}
