import Testing
@testable import Director
import ShoalCore

// `ipvsadm -L`/`-S` without `-n`: addrport_to_anyname of ipvsadm 1.31 ("%s%s%s:%s" into a 60-byte buffer,
// brackets for IPv6, the host and service names or their numeric forms), then the service column cut at
// 33 bytes and the server column at 28 for IPv4, as with `-n`. The kernel test (IPVSKernelVMTests) compares
// the same forms with the real ipvsadm reading /etc/hosts and /etc/services.

@Suite struct ListingNamesTests {
    static let rules = """
        -A -t 10.0.0.1:80 -s wrr
        -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3
        -a -t 10.0.0.1:80 -r 192.168.1.3:8080 -m -w 1
        -A -u 10.0.0.1:53 -s rr
        -a -u 10.0.0.1:53 -r 192.168.1.4:53 -g -w 2
        -A -t [2001:db8::1]:443 -s rr
        -a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -g -w 1
        -A -f 7 -s rr
        -a -f 7 -r 192.168.1.5:0 -g -w 4

        """

    static let names = ListingNames(
        hosts: [
            IPAddress("10.0.0.1")!: "vip.example",
            IPAddress("192.168.1.2")!: "real-two.example",
            IPAddress("192.168.1.3")!: "a-very-long-host-name-for-the-third-real-server.cluster.example",
            IPAddress("2001:db8::1")!: "vip6.example",
        ],
        services: [
            ListingNames.Port(80, .tcp): "http",
            ListingNames.Port(53, .udp): "domain",
            ListingNames.Port(443, .tcp): "https",
        ])

    static func table() throws -> DirectorTable {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules(rules))
        return table
    }

    @Test func textIsHostColonServiceWithNumericFallbacks() {
        let names = Self.names
        #expect(names.text(Endpoint("10.0.0.1:80")!, .tcp) == "vip.example:http")
        // The port's name is per protocol: 80/udp has none here.
        #expect(names.text(Endpoint("10.0.0.1:80")!, .udp) == "vip.example:80")
        #expect(names.text(Endpoint("10.0.0.9:53")!, .udp) == "10.0.0.9:domain")
        #expect(names.text(Endpoint("[2001:db8::1]:443")!, .tcp) == "[vip6.example]:https")
        #expect(names.text(Endpoint("[2001:db8::2]:443")!, .tcp) == "[2001:db8::2]:https")
        // Firewall-mark templates (protocol IP) never name a port.
        #expect(names.text(Endpoint("10.0.0.1:80")!, .ip) == "vip.example:80")
        // snprintf into 60 bytes: 59 kept.
        let long = names.text(Endpoint("192.168.1.3:8080")!, .tcp)
        #expect(long == String("a-very-long-host-name-for-the-third-real-server.cluster.example:8080".prefix(59)))
        #expect(long.utf8.count == 59)
        #expect(ListingNames().text(Endpoint("[2001:db8::1]:443")!, .tcp) == "[2001:db8::1]:443")
    }

    @Test func wantedHoldsEveryAddressAndPortWithItsProtocol() throws {
        let wanted = ListingNames.wanted(try Self.table())
        #expect(wanted.addresses == Set(["10.0.0.1", "192.168.1.2", "192.168.1.3", "192.168.1.4", "2001:db8::1", "2001:db8::10", "192.168.1.5"]
            .map { IPAddress($0)! }))
        #expect(wanted.ports == [ListingNames.Port(80, .tcp), ListingNames.Port(8080, .tcp), ListingNames.Port(53, .udp),
                                 ListingNames.Port(443, .tcp), ListingNames.Port(0, .tcp)])
    }

    @Test func listWithoutNumericPrintsNames() throws {
        let table = try Self.table()
        var options = ListOptions()
        let text = try IPVSListing.list(table, options, names: Self.names)
        #expect(text == """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            TCP  vip.example:http wrr
              -> real-two.example:http        Masq    3      0          0         \("")
              -> a-very-long-host-name-for-th Masq    1      0          0         \("")
            UDP  vip.example:domain rr
              -> 192.168.1.4:domain           Route   2      0          0         \("")
            TCP  [vip6.example]:https rr
              -> [2001:db8::10]:https         Route   1      0          0         \("")
            FWM  7 rr
              -> 192.168.1.5:0                Route   4      0          0         \("")

            """)
        // -n ignores the names.
        options.numeric = true
        #expect(try IPVSListing.list(table, options, names: Self.names) == (try IPVSListing.list(table, options)))
        #expect(try IPVSListing.list(table, options, names: Self.names).contains("TCP  10.0.0.1:80 wrr\n"))
    }

    @Test func serviceColumnIsCutAt33Bytes() throws {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules("-A -t 10.0.0.1:8080 -s rr\n"))
        let names = ListingNames(hosts: [IPAddress("10.0.0.1")!: "director-virtual-address.cluster.example"])
        var options = ListOptions()
        options.stats = true
        let text = try IPVSListing.list(table, options, names: names)
        #expect(text.hasSuffix("TCP  director-virtual-address.clu        0        0        0        0        0\n"))
    }

    @Test func saveWithoutNumericPrintsNames() throws {
        let table = try Self.table()
        #expect(IPVSListing.save(table, numeric: false, names: Self.names) == """
            -A -t vip.example:http -s wrr
            -a -t vip.example:http -r real-two.example:http -m -w 3
            -a -t vip.example:http -r a-very-long-host-name-for-the-third-real-server.cluster.exa -m -w 1
            -A -u vip.example:domain -s rr
            -a -u vip.example:domain -r 192.168.1.4:domain -g -w 2
            -A -t [vip6.example]:https -s rr
            -a -t [vip6.example]:https -r [2001:db8::10]:https -g -w 1
            -A -f 7 -s rr
            -a -f 7 -r 192.168.1.5:0 -g -w 4

            """)
        #expect(IPVSListing.save(table, numeric: true, names: Self.names) == IPVSListing.save(table))
        #expect(try IPVSListing.render(.save(numeric: false), table: table, names: Self.names) == IPVSListing.save(table, numeric: false, names: Self.names))
    }
}
