import Failover
import ShoalCore
import Testing

/// The `failover:` block: every field read, errors naming file, line and field.
@Suite struct FailoverConfigurationTests {
    static func parse(_ text: String) throws(ConfigError) -> FailoverConfiguration {
        try FailoverConfiguration.parse(try ConfigDocument.parse(text, file: "director.yaml").required("failover"))
    }

    @Test func readsEveryField() throws {
        let config = try Self.parse("""
            failover:
              instances:
                - name: VI_1
                  interface: eth0
                  virtual_router_id: 51
                  priority: 150
                  advert_interval: 0.3
                  preempt: false
                  preempt_delay: 2.5
                  virtual_addresses: [10.0.0.100/24, 10.0.0.101]
                  unicast_peers: [10.0.0.2]
                  source_address: 10.0.0.1
                  track_interfaces: [{name: eth1}, {name: eth2, weight: -20}]
                  track_scripts: [{command: "true", interval: 2, timeout: 1, weight: -30, rise: 2, fall: 3}]
                  notify: {master: "echo m", backup: "echo b", fault: "echo f", any: "echo any"}
                  garp_repeat: 3
                  garp_refresh: 0
                  accept_mode: false
            """)
        let i = try #require(config.instances.first)
        #expect(i.name == "VI_1" && i.interface == "eth0" && i.virtualRouterID == 51 && i.priority == 150)
        #expect(i.advertisementInterval == 30)
        #expect(!i.preempt && i.preemptDelay == 250)
        #expect(i.virtualAddresses == [VirtualAddress("10.0.0.100/24")!, VirtualAddress(address: IPAddress("10.0.0.101")!, prefixLength: 32)])
        #expect(i.unicastPeers == [IPAddress("10.0.0.2")!] && i.sourceAddress == IPAddress("10.0.0.1"))
        #expect(i.trackInterfaces == [TrackedInterface(name: "eth1"), TrackedInterface(name: "eth2", weight: -20)])
        #expect(i.trackScripts == [TrackedScript(command: "true", interval: 2, timeout: 1, weight: -30, rise: 2, fall: 3)])
        #expect(i.notify == NotifyCommands(master: "echo m", backup: "echo b", fault: "echo f", any: "echo any"))
        #expect(i.announceRepeat == 3 && i.announceRefresh == 0)
        #expect(!i.acceptMode && i.filtersVirtualAddresses)
    }

    @Test func defaultsFollowKeepalived() throws {
        let config = try Self.parse("""
            failover:
              instances:
                - {name: v6, interface: eth0, virtual_router_id: 1, virtual_addresses: ["fd00::100/64"]}
            """)
        let i = try #require(config.instances.first)
        #expect(i.priority == 100 && i.advertisementInterval == 100 && i.preempt && i.preemptDelay == 0)
        #expect(i.family == .inet6 && i.announceRepeat == 5 && i.announceRefresh == 5)
        // keepalived's default (`accept` unless no_accept or vrrp_strict), not the RFC's: a director serves its VIPs.
        #expect(i.acceptMode && !i.filtersVirtualAddresses)
    }

    static func error(_ instance: String) -> ConfigError? {
        do {
            _ = try parse("failover:\n  instances:\n    - " + instance)
            return nil
        } catch {
            return error
        }
    }

    @Test func errorsNameTheFieldAndLine() {
        let cases: [(String, String, String)] = [
            ("{name: a, interface: eth0, virtual_router_id: 0, virtual_addresses: [10.0.0.1]}", "failover.instances[0].virtual_router_id", "out of range"),
            ("{name: a, interface: eth0, virtual_router_id: 1, advert_interval: 0.001, virtual_addresses: [10.0.0.1]}", "failover.instances[0].advert_interval", "out of range"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1, \"fd00::1\"]}", "failover.instances[0].virtual_addresses[1]", "mixes"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1/33]}", "failover.instances[0].virtual_addresses[0]", "not an address"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: []}", "failover.instances[0].virtual_addresses", "at least one"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1], unicast_peers: [\"fd00::2\"]}", "failover.instances[0].unicast_peers[0]", "family"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1], prority: 5}", "failover.instances[0].prority", "unknown field"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1], priority: 256}", "failover.instances[0].priority", "out of range"),
            ("{name: a, interface: averyveryverylongname, virtual_router_id: 1, virtual_addresses: [10.0.0.1]}", "failover.instances[0].interface", "not an interface"),
            ("{name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1], accept_mode: maybe}", "failover.instances[0].accept_mode", "not true or false"),
        ]
        for (instance, field, text) in cases {
            let e = Self.error(instance)
            #expect(e?.file == "director.yaml", "\(instance)")
            #expect(e?.line == 3, "\(instance)")
            #expect(e?.field == field, "\(instance): \(String(describing: e))")
            #expect(e?.message.contains(text) == true, "\(instance): \(String(describing: e))")
        }
    }

    @Test func duplicateInstancesAndRoutersAreRefused() {
        let twice = try? Self.parse("""
            failover:
              instances:
                - {name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1]}
                - {name: a, interface: eth0, virtual_router_id: 2, virtual_addresses: [10.0.0.2]}
            """)
        #expect(twice == nil)
        do {
            _ = try Self.parse("""
                failover:
                  instances:
                    - {name: a, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1]}
                    - {name: b, interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.2]}
                """)
            Issue.record("a virtual router id used twice on one interface was accepted")
        } catch {
            #expect(error.line == 4 && error.field == "failover.instances[1].virtual_router_id")
        }
    }
}
