import Testing
@testable import Director
import ShoalCore
import ShoalTestFixtures

// Every expected text below is written out from ipvsadm 1.31's printf formats (print_title,
// print_service_entry, print_largenum, print_sched_flags, print_tunnel_rule, fwd_name, fwd_switch,
// fwd_tun_info, list_all, list_service, list_timeout, list_conn/print_conn, addrport_to_anyname with
// FMT_NUMERIC) and libipvs's ipvs_cmp_services/ipvs_cmp_dests run through glibc 2.36's qsort (a stable
// top-down merge sort). Lines of `-L` listings keep the trailing blanks the `%-10u` columns leave.

fileprivate let header = "IP Virtual Server version 1.2.1 (size=4096)"
fileprivate let plainTitle = [
    "Prot LocalAddress:Port Scheduler Flags",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
]

fileprivate func listOptions(_ body: (inout ListOptions) -> Void = { _ in }) -> ListOptions {
    var options = ListOptions()
    options.numeric = true
    body(&options)
    return options
}

/// -S -n of a table whose services are all plain rr/wlc: one `-A` line per service in the given order.
fileprivate func serviceLines(_ keys: [String]) -> String {
    keys.map { "-A -t \($0) -s wlc\n" }.joined()
}

// MARK: - -S (save)

fileprivate let optionsKeys = (
    web: listingTCP("10.0.0.1:80"), tls: listingTCP("10.0.0.2:443"), sip: listingUDP("10.0.0.3:5060"),
    sh: listingTCP("10.0.0.4:80"), tun: listingTCP("10.0.0.5:80"), mh: listingTCP("10.0.0.6:80"),
    wrr: listingTCP("10.0.0.7:80"), v6: listingTCP("[2001:db8::10]:80"), mark: listingFWM(1),
    mark6: listingFWM(1, inet6: true)
)

/// The saved text of `optionsTable`, each line next to the command it stands for (for the round trip).
fileprivate let optionsRules: [(line: String, command: IPVSCommand)] = {
    let k = optionsKeys
    return [
        ("-A -t 10.0.0.1:80 -s wlc -p 300", listingService(k.web, .wlc, persistent: 300)),
        ("-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 3", listingServer(k.web, "192.168.1.1:80", .masquerade, weight: 3)),
        ("-a -t 10.0.0.1:80 -r 192.168.1.2:8080 -m -w 0", listingServer(k.web, "192.168.1.2:8080", .masquerade, weight: 0)),
        ("-A -t 10.0.0.2:443 -s rr -p 3600 -M 255.255.255.0", listingService(k.tls, .rr, persistent: 3600, netmask: 0xffff_ff00)),
        ("-a -t 10.0.0.2:443 -r 10.1.0.1:443 -g -w 1", listingServer(k.tls, "10.1.0.1:443", .route)),
        ("-a -t 10.0.0.2:443 -r 10.1.0.2:443 -g -w 2", listingServer(k.tls, "10.1.0.2:443", .local, weight: 2)),
        ("-A -t 10.0.0.4:80 -s sh -b sh-fallback,sh-port", listingService(k.sh, .sh, flags: [.fallback, .port])),
        ("-A -t 10.0.0.5:80 -s rr -b flag-1", listingService(k.tun, .rr, flags: .flag1)),
        ("-a -t 10.0.0.5:80 -r 10.2.0.1:80 -i -w 1 --tun-type ipip", listingServer(k.tun, "10.2.0.1:80", .tunnel)),
        ("-a -t 10.0.0.5:80 -r 10.2.0.2:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-remcsum",
         listingServer(k.tun, "10.2.0.2:80", .tunnel, weight: 2, tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .remote))),
        ("-a -t 10.0.0.5:80 -r 10.2.0.3:80 -i -w 3 --tun-type gre --tun-csum",
         listingServer(k.tun, "10.2.0.3:80", .tunnel, weight: 3, tunnel: TunnelInfo(kind: .gre, checksum: .checksum))),
        ("-a -t 10.0.0.5:80 -r 10.2.0.4:80 -i -w 4 --tun-type gue --tun-port 5555 --tun-nocsum",
         listingServer(k.tun, "10.2.0.4:80", .tunnel, weight: 4, tunnel: TunnelInfo(kind: .gue, port: 5555, checksum: .none))),
        ("-A -t 10.0.0.6:80 -s mh -b mh-port", listingService(k.mh, .mh, flags: .port)),
        ("-A -t 10.0.0.7:80 -s wrr -b flag-2,flag-3", listingService(k.wrr, .wrr, flags: [.flag2, .flag3])),
        ("-A -u 10.0.0.3:5060 -s rr -p 360 --pe sip -o", listingService(k.sip, .rr, persistent: 360, onePacket: true, pe: "sip")),
        ("-a -u 10.0.0.3:5060 -r 10.1.0.3:5060 -m -w 1", listingServer(k.sip, "10.1.0.3:5060", .masquerade)),
        ("-A -t [2001:db8::10]:80 -s wlc -p 360 -M 64", listingService(k.v6, .wlc, persistent: 360, netmask: 64)),
        ("-a -t [2001:db8::10]:80 -r [2001:db8::3]:8080 -m -w 1", listingServer(k.v6, "[2001:db8::3]:8080", .masquerade)),
        ("-a -t [2001:db8::10]:80 -r [2001:db8::20]:80 -m -w 1", listingServer(k.v6, "[2001:db8::20]:80", .masquerade)),
        ("-A -f 1 -s wlc -p 120 -M 255.255.0.0", listingService(k.mark, .wlc, persistent: 120, netmask: 0xffff_0000)),
        ("-a -f 1 -r 10.3.0.1:0 -g -w 1", listingServer(k.mark, "10.3.0.1:0", .route)),
        ("-A -f 1 -6 -s rr", listingService(k.mark6, .rr)),
        ("-a -f 1 -6 -r [2001:db8::30]:0 -g -w 5", listingServer(k.mark6, "[2001:db8::30]:0", .route, weight: 5)),
    ]
}()

/// The same services and servers as `optionsRules`, added in a scrambled order.
fileprivate func optionsTable() throws -> DirectorTable {
    let k = optionsKeys
    return try listingTable([
        listingService(k.web, .wlc, persistent: 300),
        listingServer(k.web, "192.168.1.1:80", .masquerade, weight: 3),
        listingServer(k.web, "192.168.1.2:8080", .masquerade, weight: 0),
        listingService(k.tls, .rr, persistent: 3600, netmask: 0xffff_ff00),
        listingServer(k.tls, "10.1.0.1:443", .route),
        listingServer(k.tls, "10.1.0.2:443", .local, weight: 2),
        listingService(k.sip, .rr, persistent: 360, onePacket: true, pe: "sip"),
        listingServer(k.sip, "10.1.0.3:5060", .masquerade),
        listingService(k.sh, .sh, flags: [.fallback, .port]),
        listingService(k.tun, .rr, flags: .flag1),
        listingServer(k.tun, "10.2.0.1:80", .tunnel),
        listingServer(k.tun, "10.2.0.2:80", .tunnel, weight: 2, tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .remote)),
        listingServer(k.tun, "10.2.0.3:80", .tunnel, weight: 3, tunnel: TunnelInfo(kind: .gre, checksum: .checksum)),
        listingServer(k.tun, "10.2.0.4:80", .tunnel, weight: 4, tunnel: TunnelInfo(kind: .gue, port: 5555)),
        listingService(k.mh, .mh, flags: .port),
        listingService(k.wrr, .wrr, flags: [.flag2, .flag3]),
        listingService(k.v6, .wlc, persistent: 360, netmask: 64),
        listingServer(k.v6, "[2001:db8::20]:80", .masquerade),
        listingServer(k.v6, "[2001:db8::3]:8080", .masquerade),
        listingService(k.mark, .wlc, persistent: 120, netmask: 0xffff_0000),
        listingServer(k.mark, "10.3.0.1:0", .route),
        listingService(k.mark6, .rr),
        listingServer(k.mark6, "[2001:db8::30]:0", .route, weight: 5),
    ])
}

// MARK: - Rules files

fileprivate func thresholdTable() throws -> DirectorTable {
    let svc = listingTCP("10.0.0.1:80")
    return try listingTable([
        listingService(svc),
        listingServer(svc, "192.168.1.1:80", .masquerade, upper: 100, lower: 50),
        listingServer(svc, "192.168.1.2:80", .masquerade, upper: 10),
        listingServer(svc, "192.168.1.3:80", .tunnel, upper: 5, tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .checksum)),
        .setTimeouts(tcp: 600, tcpFin: 0, udp: 0),
    ])
}

// MARK: - -L -n

/// Counts come from live connections: two established, one closed (FIN_WAIT, inactive).
fileprivate func plainTable() throws -> DirectorTable {
    let web = listingTCP("10.0.0.1:80"), wide = listingTCP("255.255.255.254:65535")
    let v6 = listingTCP("[2001:db8:1234:5678:9abc:def0:1234:5678]:443")
    var table = try listingTable([
        listingService(web, .wlc, persistent: 300, netmask: 0xffff_ff00),
        listingServer(web, "192.168.1.1:80", .masquerade, weight: 1),
        listingServer(web, "192.168.1.2:80", .masquerade, weight: 2),
        listingServer(web, "192.168.1.3:80", .tunnel, weight: 3),
        listingServer(web, "192.168.1.4:80", .local, weight: 4),
        listingService(wide, .rr),
        listingServer(wide, "255.255.255.253:65535", .route, weight: 65535),
        listingService(listingUDP("10.0.0.3:5060"), .sh, persistent: 360, onePacket: true, flags: .port, pe: "sip"),
        listingService(v6, .wlc, persistent: 360, netmask: 64),
        listingServer(v6, "[2001:db8:1234:5678:9abc:def0:1234:9999]:443", .masquerade),
        listingService(listingFWM(1), .rr),
        listingServer(listingFWM(1), "10.4.0.1:0", .route),
        listingService(listingFWM(2, inet6: true), .wlc),
    ])
    listingConnect(&table, .tcp, from: "1.2.3.4:1000", to: "255.255.255.254:65535")
    listingConnect(&table, .tcp, from: "1.2.3.4:1001", to: "255.255.255.254:65535")
    listingConnect(&table, .tcp, from: "1.2.3.4:1002", to: "255.255.255.254:65535", activeUntil: 1)
    table.advance(to: DirectorTime(seconds: 2))
    return table
}

// MARK: - --stats / --rate

fileprivate func statsTable() throws -> DirectorTable {
    let web = listingTCP("10.0.0.1:80"), v6 = listingTCP("[2001:db8::1]:80")
    var table = try listingTable([
        listingService(web, .rr),
        listingServer(web, "192.168.1.1:80", .masquerade),
        listingService(v6, .rr),
        listingServer(v6, "[2001:db8::100]:80", .masquerade),
        listingService(listingFWM(7)),
    ])
    let id = try #require(listingConnect(&table, .tcp, from: "1.2.3.4:5000", to: "10.0.0.1:80"))
    table.recordTraffic(id, inPackets: 123_456_789, outPackets: 99_999_999, inBytes: 5_000_000_000, outBytes: 100_000_000_000_000)
    return table
}

/// One 2 s estimator sample of 8 connections, 8000/800 packets and 8e9/8e8 bytes reads out as
/// 1 CPS, 1000/100 PPS and 1e9/1e8 BPS. Server rows print CPS and PPS with plain %8llu.
fileprivate func rateTable() throws -> DirectorTable {
    let web = listingTCP("10.0.0.1:80")
    var table = try listingTable([listingService(web, .rr), listingServer(web, "192.168.1.1:80", .masquerade)])
    var ids: [ConnectionID] = []
    for port in 5000..<5008 {
        ids.append(try #require(listingConnect(&table, .tcp, from: "1.2.3.4:\(port)", to: "10.0.0.1:80")))
    }
    table.recordTraffic(ids[0], inPackets: 8000, outPackets: 800, inBytes: 8_000_000_000, outBytes: 800_000_000)
    table.sampleRates()
    return table
}

// MARK: - --thresholds / --persistent-conn / --tun-info

fileprivate func loadTable() throws -> DirectorTable {
    let web = listingTCP("10.0.0.1:80"), tls = listingTCP("10.0.0.2:443")
    var table = try listingTable([
        listingService(web, .rr),
        listingServer(web, "192.168.1.1:80", .masquerade, upper: 100, lower: 50),
        listingService(tls, .rr, persistent: 360),
        listingServer(tls, "192.168.1.2:443", .masquerade, weight: 7),
    ])
    listingConnect(&table, .tcp, from: "1.2.3.4:1000", to: "10.0.0.1:80")
    listingConnect(&table, .tcp, from: "1.2.3.4:1001", to: "10.0.0.1:80")
    listingConnect(&table, .tcp, from: "1.2.3.4:1002", to: "10.0.0.1:80", activeUntil: 1)
    for client in ["1.2.3.5:2000", "1.2.3.6:2000", "1.2.3.7:2000"] {
        listingConnect(&table, .tcp, from: client, to: "10.0.0.2:443")
    }
    table.advance(to: DirectorTime(seconds: 2))
    return table
}

// MARK: - -c (connections)

fileprivate func connectionTable() throws -> DirectorTable {
    let web = listingTCP("10.0.0.1:80"), dns = listingUDP("10.0.0.1:53"), tls = listingTCP("10.0.0.2:443")
    let v6 = listingTCP("[2001:db8::1]:80"), mark = listingFWM(1)
    var table = try listingTable([
        listingService(web, .rr), listingServer(web, "192.168.1.1:80", .masquerade),
        listingService(dns, .rr), listingServer(dns, "192.168.1.2:53", .masquerade),
        listingService(tls, .rr, persistent: 360, netmask: 0xffff_ff00), listingServer(tls, "192.168.1.3:443", .masquerade),
        listingService(v6, .rr), listingServer(v6, "[2001:db8::100]:80", .masquerade),
        listingService(mark, .rr, persistent: 360), listingServer(mark, "10.3.0.1:0", .route),
    ])
    try #require(listingConnect(&table, .tcp, from: "1.2.3.4:5000", to: "10.0.0.1:80") != nil)
    try #require(listingConnect(&table, .tcp, from: "1.2.3.5:5001", to: "10.0.0.1:80", activeUntil: 5) != nil)
    try #require(listingConnect(&table, .udp, from: "1.2.3.6:40000", to: "10.0.0.1:53") != nil)
    try #require(listingConnect(&table, .tcp, from: "1.2.3.7:6000", to: "10.0.0.2:443") != nil)
    try #require(listingConnect(&table, .tcp, from: "[2001:db8::abcd]:7000", to: "[2001:db8::1]:80") != nil)
    try #require(listingConnect(&table, .tcp, from: "1.2.3.8:7001", to: "10.0.0.9:22", fwmark: 1) != nil)
    table.advance(to: DirectorTime(microseconds: 10_500_000))
    return table
}

@Suite(.offCooperativePool) struct IPVSListingTests {
    /// Services: fwmark, then family, protocol, address, port, each a wrapping 32-bit difference, so
    /// 192.168.0.1 - 10.0.0.1 = 0xB6A80000 is negative and 192.168.x sorts first. Servers likewise.
    @Test func saveSortsServicesAndServersWithTheWrappingComparators() throws {
        let svc = listingTCP("10.0.0.1:80")
        let v6 = listingTCP("[2001:db8::1]:80")
        let table = try listingTable([
            listingService(svc),
            listingServer(svc, "10.1.0.2:80", .route),
            listingServer(svc, "192.168.1.1:80", .masquerade),
            listingServer(svc, "10.1.0.1:8080", .masquerade),
            listingServer(svc, "10.1.0.1:80", .masquerade),
            listingService(listingTCP("192.168.0.1:80")),
            listingService(listingUDP("10.0.0.1:53"), .rr),
            listingService(v6),
            listingServer(v6, "[2001:db8::20]:80", .masquerade),
            listingServer(v6, "[2001:db8::3]:80", .masquerade),
            listingServer(v6, "[2001:db8:0:0:1::]:80", .masquerade),
            listingService(listingFWM(2)),
            listingService(listingFWM(1)),
            listingService(listingTCP("10.0.0.1:8080")),
            listingService(listingTCP("10.0.0.1:443")),
        ])
        #expect(IPVSListing.save(table) == listingText(
            "-A -t 192.168.0.1:80 -s wlc",
            "-A -t 10.0.0.1:80 -s wlc",
            "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1",
            "-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1",
            "-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 1",
            "-a -t 10.0.0.1:80 -r 10.1.0.2:80 -g -w 1",
            "-A -t 10.0.0.1:443 -s wlc",
            "-A -t 10.0.0.1:8080 -s wlc",
            "-A -u 10.0.0.1:53 -s rr",
            "-A -t [2001:db8::1]:80 -s wlc",
            "-a -t [2001:db8::1]:80 -r [2001:db8::3]:80 -m -w 1",
            "-a -t [2001:db8::1]:80 -r [2001:db8::20]:80 -m -w 1",
            "-a -t [2001:db8::1]:80 -r [2001:db8:0:0:1::]:80 -m -w 1",
            "-A -f 1 -s wlc",
            "-A -f 2 -s wlc"
        ))
    }

    /// 10.0.0.1 < 100.0.0.1 < 192.168.0.1 < 10.0.0.1 under the wrapping comparator: the result depends
    /// on the order the kernel hands the entries over and on how glibc's merge sort splits them.
    @Test func saveFollowsTheMergeSortThroughComparatorCycles() throws {
        let a = "10.0.0.1:80", b = "100.0.0.1:80", c = "192.168.0.1:80"
        let abc = try listingTable([a, b, c].map { listingService(listingTCP($0)) })
        #expect(IPVSListing.save(abc) == serviceLines([a, b, c]))
        let cba = try listingTable([c, b, a].map { listingService(listingTCP($0)) })
        #expect(IPVSListing.save(cba) == serviceLines([c, a, b]))

        // Servers arrive newest first: [192.168.0.11, 100.0.0.11, 10.0.0.11].
        let svc = listingTCP(a)
        let servers = try listingTable([
            listingService(svc),
            listingServer(svc, "10.0.0.11:80"),
            listingServer(svc, "100.0.0.11:80"),
            listingServer(svc, "192.168.0.11:80"),
        ])
        #expect(IPVSListing.save(servers) == listingText(
            "-A -t 10.0.0.1:80 -s wlc",
            "-a -t 10.0.0.1:80 -r 192.168.0.11:80 -g -w 1",
            "-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 1",
            "-a -t 10.0.0.1:80 -r 100.0.0.11:80 -g -w 1"
        ))
    }

    /// 0 - 3000000000 wraps to a positive int, so that mark sorts before the address services; and
    /// ipvsadm prints marks with %d.
    @Test func saveSortsAndPrintsLargeFirewallMarksAsIpvsadmDoes() throws {
        let table = try listingTable([
            listingService(listingTCP("10.0.0.1:80")),
            listingService(listingFWM(3_000_000_000)),
            listingService(listingFWM(1)),
        ])
        #expect(IPVSListing.save(table) == listingText(
            "-A -f -1294967296 -s wlc",
            "-A -t 10.0.0.1:80 -s wlc",
            "-A -f 1 -s wlc"
        ))
        let unsorted = try IPVSListing.list(table, listOptions { $0.noSort = true })
        #expect(unsorted == listingText(
            header, plainTitle[0], plainTitle[1],
            "TCP  10.0.0.1:80 wlc",
            "FWM  -1294967296 wlc",
            "FWM  1 wlc"
        ))
        // A rules file is read back by Shoal, so it keeps the unsigned mark.
        #expect(IPVSListing.rulesFile(table).hasPrefix("-A -f 3000000000 -s wlc\n"))
    }

    /// ipvs_cmp_dests reads as many address words as the first argument's family has: an IPv4 server
    /// whose word equals the first word of an IPv6 one compares equal one way round and smaller the other.
    @Test func saveSortsMixedFamilyTunnelServersAsLibipvs() throws {
        let svc = listingTCP("10.0.0.1:80")
        let v4 = listingServer(svc, "10.0.0.2:80", .tunnel)
        let v6 = listingServer(svc, "[a00:2:0:1::]:80", .tunnel)
        let expected = listingText(
            "-A -t 10.0.0.1:80 -s rr",
            "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip",
            "-a -t 10.0.0.1:80 -r [a00:2:0:1::]:80 -i -w 1 --tun-type ipip"
        )
        #expect(IPVSListing.save(try listingTable([listingService(svc, .rr), v4, v6])) == expected)
        #expect(IPVSListing.save(try listingTable([listingService(svc, .rr), v6, v4])) == expected)
    }

    /// -p with and without -M, IPv6 -M as a prefix, --pe, -o, -b for sh/mh and others, fwmark and
    /// fwmark IPv6, -m/-g/-i (a local server is saved as -g), and the three tunnel types.
    @Test func saveWritesEveryServiceAndServerOption() throws {
        let table = try optionsTable()
        #expect(IPVSListing.save(table) == listingText(
            "-A -t 10.0.0.1:80 -s wlc -p 300",
            "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 3",
            "-a -t 10.0.0.1:80 -r 192.168.1.2:8080 -m -w 0",
            "-A -t 10.0.0.2:443 -s rr -p 3600 -M 255.255.255.0",
            "-a -t 10.0.0.2:443 -r 10.1.0.1:443 -g -w 1",
            "-a -t 10.0.0.2:443 -r 10.1.0.2:443 -g -w 2",
            "-A -t 10.0.0.4:80 -s sh -b sh-fallback,sh-port",
            "-A -t 10.0.0.5:80 -s rr -b flag-1",
            "-a -t 10.0.0.5:80 -r 10.2.0.1:80 -i -w 1 --tun-type ipip",
            "-a -t 10.0.0.5:80 -r 10.2.0.2:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-remcsum",
            "-a -t 10.0.0.5:80 -r 10.2.0.3:80 -i -w 3 --tun-type gre --tun-csum",
            "-a -t 10.0.0.5:80 -r 10.2.0.4:80 -i -w 4 --tun-type gue --tun-port 5555 --tun-nocsum",
            "-A -t 10.0.0.6:80 -s mh -b mh-port",
            "-A -t 10.0.0.7:80 -s wrr -b flag-2,flag-3",
            "-A -u 10.0.0.3:5060 -s rr -p 360 --pe sip -o",
            "-a -u 10.0.0.3:5060 -r 10.1.0.3:5060 -m -w 1",
            "-A -t [2001:db8::10]:80 -s wlc -p 360 -M 64",
            "-a -t [2001:db8::10]:80 -r [2001:db8::3]:8080 -m -w 1",
            "-a -t [2001:db8::10]:80 -r [2001:db8::20]:80 -m -w 1",
            "-A -f 1 -s wlc -p 120 -M 255.255.0.0",
            "-a -f 1 -r 10.3.0.1:0 -g -w 1",
            "-A -f 1 -6 -s rr",
            "-a -f 1 -6 -r [2001:db8::30]:0 -g -w 5"
        ))
        #expect(try IPVSListing.render(.save(numeric: true), table: table) == IPVSListing.save(table))
        #expect(try IPVSListing.render(.flush, table: table) == nil)
    }

    @Test func saveOfAnEmptyTableIsEmpty() throws {
        #expect(IPVSListing.save(DirectorTable()) == "")
        #expect(try IPVSListing.list(DirectorTable(), listOptions()) == listingText(header, plainTitle[0], plainTitle[1]))
    }

    /// -S never prints -x/-y (print_service_entry has no field for them in FMT_RULE) nor the timeouts.
    @Test func saveOmitsThresholdsAndTimeouts() throws {
        #expect(IPVSListing.save(try thresholdTable()) == listingText(
            "-A -t 10.0.0.1:80 -s wlc",
            "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1",
            "-a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 1",
            "-a -t 10.0.0.1:80 -r 192.168.1.3:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum"
        ))
    }

    /// A rules file keeps the thresholds after the -S fields, and a --set line for non-default timeouts
    /// (a 0 in --set leaves that timeout at its default).
    @Test func rulesFileKeepsThresholdsAndTimeouts() throws {
        #expect(IPVSListing.rulesFile(try thresholdTable()) == listingText(
            "--set 600 120 300",
            "-A -t 10.0.0.1:80 -s wlc",
            "-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1 -x 100 -y 50",
            "-a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 1 -x 10",
            "-a -t 10.0.0.1:80 -r 192.168.1.3:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum -x 5"
        ))
    }

    @Test func rulesFileWithDefaultTimeoutsIsTheSaveText() throws {
        let table = try optionsTable()
        #expect(IPVSListing.rulesFile(table) == IPVSListing.save(table))
        #expect(IPVSListing.rulesFile(DirectorTable()) == "")
        var changed = DirectorTable()
        try changed.apply(.setTimeouts(tcp: 0, tcpFin: 0, udp: 30))
        #expect(IPVSListing.rulesFile(changed) == "--set 900 120 30\n")
    }

    @Test func applyingTheSavedRulesGivesTheSameText() throws {
        let text = optionsRules.map { $0.line + "\n" }.joined()
        let table = try optionsTable()
        #expect(IPVSListing.save(table) == text)

        // The -A/-a commands of the text, in the text's order.
        let inOrder = try listingTable(optionsRules.map(\.command))
        #expect(IPVSListing.save(inOrder) == text)

        // The same commands with the service blocks reversed and each block's servers reversed.
        var blocks: [[IPVSCommand]] = []
        for rule in optionsRules {
            if rule.line.hasPrefix("-A ") { blocks.append([rule.command]) } else { blocks[blocks.count - 1].insert(rule.command, at: 1) }
        }
        let scrambled = try listingTable(blocks.reversed().flatMap { $0 })
        #expect(IPVSListing.save(scrambled) == text)
        #expect(IPVSListing.save(try listingTable(optionsRules.map(\.command))) == IPVSListing.save(scrambled))
    }

    @Test func rulesFileRoundTripsWithThresholdsAndTimeouts() throws {
        let svc = listingTCP("10.0.0.1:80")
        let rebuilt = try listingTable([
            .setTimeouts(tcp: 600, tcpFin: 120, udp: 300),
            listingService(svc),
            listingServer(svc, "192.168.1.3:80", .tunnel, upper: 5, tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .checksum)),
            listingServer(svc, "192.168.1.2:80", .masquerade, upper: 10),
            listingServer(svc, "192.168.1.1:80", .masquerade, upper: 100, lower: 50),
        ])
        #expect(IPVSListing.rulesFile(rebuilt) == IPVSListing.rulesFile(try thresholdTable()))
    }

    /// %-28s pads short names and lets longer (IPv6) ones run on; the widest IPv4 name, 21 characters,
    /// stays under the 33/28-character cut ipvsadm applies to non-IPv6 names.
    @Test func listPrintsTheVersionTitleAndColumns() throws {
        #expect(try IPVSListing.list(try plainTable(), listOptions()) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  255.255.255.254:65535 rr",
            "  -> 255.255.255.253:65535        Route   65535  2          1         ",
            "TCP  10.0.0.1:80 wlc persistent 300 mask 255.255.255.0",
            "  -> 192.168.1.1:80               Masq    1      0          0         ",
            "  -> 192.168.1.2:80               Masq    2      0          0         ",
            "  -> 192.168.1.3:80               Tunnel  3      0          0         ",
            "  -> 192.168.1.4:80               Local   4      0          0         ",
            "UDP  10.0.0.3:5060 sh (sh-port) persistent 360 pe sip ops",
            "TCP  [2001:db8:1234:5678:9abc:def0:1234:5678]:443 wlc persistent 360 mask 64",
            "  -> [2001:db8:1234:5678:9abc:def0:1234:9999]:443 Masq    1      0          0         ",
            "FWM  1 rr",
            "  -> 10.4.0.1:0                   Route   1      0          0         ",
            "FWM  2 IPv6 wlc"
        ))
    }

    @Test func listShowsSchedulerFlagsPersistenceAndForwarding() throws {
        #expect(try IPVSListing.list(try optionsTable(), listOptions()) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  10.0.0.1:80 wlc persistent 300",
            "  -> 192.168.1.1:80               Masq    3      0          0         ",
            "  -> 192.168.1.2:8080             Masq    0      0          0         ",
            "TCP  10.0.0.2:443 rr persistent 3600 mask 255.255.255.0",
            "  -> 10.1.0.1:443                 Route   1      0          0         ",
            "  -> 10.1.0.2:443                 Local   2      0          0         ",
            "TCP  10.0.0.4:80 sh (sh-fallback,sh-port)",
            "TCP  10.0.0.5:80 rr (flag-1)",
            "  -> 10.2.0.1:80                  Tunnel  1      0          0         ",
            "  -> 10.2.0.2:80                  Tunnel  2      0          0         ",
            "  -> 10.2.0.3:80                  Tunnel  3      0          0         ",
            "  -> 10.2.0.4:80                  Tunnel  4      0          0         ",
            "TCP  10.0.0.6:80 mh (mh-port)",
            "TCP  10.0.0.7:80 wrr (flag-2,flag-3)",
            "UDP  10.0.0.3:5060 rr persistent 360 pe sip ops",
            "  -> 10.1.0.3:5060                Masq    1      0          0         ",
            "TCP  [2001:db8::10]:80 wlc persistent 360 mask 64",
            "  -> [2001:db8::3]:8080           Masq    1      0          0         ",
            "  -> [2001:db8::20]:80            Masq    1      0          0         ",
            "FWM  1 wlc persistent 120 mask 255.255.0.0",
            "  -> 10.3.0.1:0                   Route   1      0          0         ",
            "FWM  1 IPv6 rr",
            "  -> [2001:db8::30]:0             Route   5      0          0         "
        ))
    }

    /// list_service: the title and the one service, without the version line.
    @Test func listOneServicePrintsNoVersionLine() throws {
        let table = try plainTable()
        let wide = try IPVSListing.list(table, listOptions { $0.service = listingTCP("255.255.255.254:65535") })
        #expect(wide == listingText(
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  255.255.255.254:65535 rr",
            "  -> 255.255.255.253:65535        Route   65535  2          1         "
        ))
        let tunnels = try IPVSListing.list(try optionsTable(), listOptions {
            $0.service = listingTCP("10.0.0.5:80")
            $0.tunnelInfo = true
        })
        #expect(tunnels == listingText(
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn",
            "TCP  10.0.0.5:80 rr (flag-1)",
            "  -> 10.2.0.1:80                  Tunnel  ipip          1      0          0         ",
            "  -> 10.2.0.2:80                  Tunnel  gue:6080:r+c  2      0          0         ",
            "  -> 10.2.0.3:80                  Tunnel  gre:+c        3      0          0         ",
            "  -> 10.2.0.4:80                  Tunnel  gue:5555:-c   4      0          0         "
        ))
        #expect(throws: ConfigError.self) {
            try IPVSListing.list(table, listOptions { $0.service = listingTCP("10.9.9.9:80") })
        }
    }

    /// --nosort: services as the table hands them over, servers in kernel list order (newest first).
    @Test func listNoSortKeepsTableAndKernelListOrder() throws {
        #expect(try IPVSListing.list(try plainTable(), listOptions { $0.noSort = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  10.0.0.1:80 wlc persistent 300 mask 255.255.255.0",
            "  -> 192.168.1.4:80               Local   4      0          0         ",
            "  -> 192.168.1.3:80               Tunnel  3      0          0         ",
            "  -> 192.168.1.2:80               Masq    2      0          0         ",
            "  -> 192.168.1.1:80               Masq    1      0          0         ",
            "TCP  255.255.255.254:65535 rr",
            "  -> 255.255.255.253:65535        Route   65535  2          1         ",
            "UDP  10.0.0.3:5060 sh (sh-port) persistent 360 pe sip ops",
            "TCP  [2001:db8:1234:5678:9abc:def0:1234:5678]:443 wlc persistent 360 mask 64",
            "  -> [2001:db8:1234:5678:9abc:def0:1234:9999]:443 Masq    1      0          0         ",
            "FWM  1 rr",
            "  -> 10.4.0.1:0                   Route   1      0          0         ",
            "FWM  2 IPv6 wlc"
        ))
    }

    @Test func listStatsScalesLargeCounters() throws {
        let expected = listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
            "  -> RemoteAddress:Port",
            "TCP  10.0.0.1:80                         1  123456K 99999999    5000M     100T",
            "  -> 192.168.1.1:80                      1  123456K 99999999    5000M     100T",
            "TCP  [2001:db8::1]:80                    0        0        0        0        0",
            "  -> [2001:db8::100]:80                  0        0        0        0        0",
            "FWM  7                                   0        0        0        0        0"
        )
        let table = try statsTable()
        #expect(try IPVSListing.list(table, listOptions { $0.stats = true }) == expected)
        // print_title and print_service_entry test FMT_STATS before the other formats.
        #expect(try IPVSListing.list(table, listOptions {
            $0.stats = true; $0.rate = true; $0.thresholds = true; $0.persistentConnections = true; $0.tunnelInfo = true
        }) == expected)
    }

    @Test func listStatsExactPrintsWholeNumbersOneBlankApart() throws {
        #expect(try IPVSListing.list(try statsTable(), listOptions { $0.stats = true; $0.exact = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
            "  -> RemoteAddress:Port",
            "TCP  10.0.0.1:80                         1 123456789 99999999 5000000000 100000000000000",
            "  -> 192.168.1.1:80                      1 123456789 99999999 5000000000 100000000000000",
            "TCP  [2001:db8::1]:80                    0        0        0        0        0",
            "  -> [2001:db8::100]:80                  0        0        0        0        0",
            "FWM  7                                   0        0        0        0        0"
        ))
    }

    @Test func listRate() throws {
        let table = try rateTable()
        #expect(try IPVSListing.list(table, listOptions { $0.rate = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS",
            "  -> RemoteAddress:Port",
            "TCP  10.0.0.1:80                         1     1000      100    1000M  100000K",
            "  -> 192.168.1.1:80                      1     1000      100    1000M  100000K"
        ))
        #expect(try IPVSListing.list(table, listOptions { $0.rate = true; $0.exact = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS",
            "  -> RemoteAddress:Port",
            "TCP  10.0.0.1:80                         1     1000      100 1000000000 100000000",
            "  -> 192.168.1.1:80                      1     1000      100 1000000000 100000000"
        ))
    }

    @Test func listThresholds() throws {
        #expect(try IPVSListing.list(try loadTable(), listOptions { $0.thresholds = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
            "  -> RemoteAddress:Port",
            "TCP  10.0.0.1:80 rr",
            "  -> 192.168.1.1:80               100        50         2          1         ",
            "TCP  10.0.0.2:443 rr persistent 360",
            "  -> 192.168.1.2:443              0          0          3          0         "
        ))
    }

    @Test func listPersistentConnections() throws {
        #expect(try IPVSListing.list(try loadTable(), listOptions { $0.persistentConnections = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ",
            "  -> RemoteAddress:Port",
            "TCP  10.0.0.1:80 rr",
            "  -> 192.168.1.1:80               1         0           2          1         ",
            "TCP  10.0.0.2:443 rr persistent 360",
            "  -> 192.168.1.2:443              7         3           3          0         "
        ))
    }

    @Test func listTunnelInfo() throws {
        let svc = listingTCP("10.0.0.5:80")
        let table = try listingTable([
            listingService(svc, .rr),
            listingServer(svc, "10.2.0.1:80", .tunnel, weight: 1),
            listingServer(svc, "10.2.0.2:80", .tunnel, weight: 2, tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .remote)),
            listingServer(svc, "10.2.0.3:80", .tunnel, weight: 3, tunnel: TunnelInfo(kind: .gre, checksum: .checksum)),
            listingServer(svc, "10.2.0.4:80", .tunnel, weight: 4, tunnel: TunnelInfo(kind: .gue, port: 65535)),
            listingServer(svc, "10.2.0.5:80", .masquerade, weight: 5),
            listingServer(svc, "10.2.0.6:80", .route, weight: 6),
        ])
        #expect(try IPVSListing.list(table, listOptions { $0.tunnelInfo = true }) == listingText(
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn",
            "TCP  10.0.0.5:80 rr",
            "  -> 10.2.0.1:80                  Tunnel  ipip          1      0          0         ",
            "  -> 10.2.0.2:80                  Tunnel  gue:6080:r+c  2      0          0         ",
            "  -> 10.2.0.3:80                  Tunnel  gre:+c        3      0          0         ",
            "  -> 10.2.0.4:80                  Tunnel  gue:65535:-c  4      0          0         ",
            "  -> 10.2.0.5:80                  Masq    n/a           5      0          0         ",
            "  -> 10.2.0.6:80                  Route   n/a           6      0          0         "
        ))
    }

    @Test func listTimeout() throws {
        var table = DirectorTable()
        #expect(try IPVSListing.list(table, listOptions { $0.timeout = true }) == "Timeout (tcp tcpfin udp): 900 120 300\n")
        try table.apply(.setTimeouts(tcp: 7200, tcpFin: 0, udp: 45))
        #expect(try IPVSListing.list(table, listOptions { $0.timeout = true }) == "Timeout (tcp tcpfin udp): 7200 120 45\n")
    }

    /// Below 100 million: %9llu; then %8llu with K (below 1e9), M (below 1e11), G (below 1e14), T.
    /// --exact: %*llu, 9 wide up to 8 digits, else one blank before the digits.
    @Test(arguments: [
        (UInt64(0), "        0", "        0"),
        (99_999_999, " 99999999", " 99999999"),
        (100_000_000, "  100000K", " 100000000"),
        (123_456_789, "  123456K", " 123456789"),
        (999_999_999, "  999999K", " 999999999"),
        (1_000_000_000, "    1000M", " 1000000000"),
        (99_999_999_999, "   99999M", " 99999999999"),
        (100_000_000_000, "     100G", " 100000000000"),
        (99_999_999_999_999, "   99999G", " 99999999999999"),
        (100_000_000_000_000, "     100T", " 100000000000000"),
        (12_345_678, " 12345678", " 12345678"),
        (UInt64.max, "18446744T", " 18446744073709551615"),
    ])
    func largeNumber(value: UInt64, scaled: String, exact: String) {
        #expect(IPVSListing.largeNumber(value, exact: false) == scaled)
        #expect(IPVSListing.largeNumber(value, exact: true) == exact)
    }

    /// At 10.5 s: established 900 s timers show 889 s, the connection closed at 5 s shows 125 - 10.5,
    /// UDP 300 - 10.5, templates 360 - 10.5 (seconds rounded down, %02d:%02d). Templates have state NONE,
    /// the client masked with port 0; a fwmark template is protocol IP with the mark as its address.
    @Test func connectionsListExpiryStatesAndTemplates() throws {
        let table = try connectionTable()
        let rows = [
            "TCP 14:49  ESTABLISHED 1.2.3.4:5000       10.0.0.1:80        192.168.1.1:80",
            "TCP 01:54  FIN_WAIT    1.2.3.5:5001       10.0.0.1:80        192.168.1.1:80",
            "UDP 04:49  UDP         1.2.3.6:40000      10.0.0.1:53        192.168.1.2:53",
            "TCP 05:49  NONE        1.2.3.0:0          10.0.0.2:443       192.168.1.3:443",
            "TCP 14:49  ESTABLISHED 1.2.3.7:6000       10.0.0.2:443       192.168.1.3:443",
            "TCP 14:49  ESTABLISHED [2001:db8::abcd]:7000 [2001:db8::1]:80   [2001:db8::100]:80",
            "IP  05:49  NONE        1.2.3.8:0          0.0.0.1:0          10.3.0.1:0",
            "TCP 14:49  ESTABLISHED 1.2.3.8:7001       10.0.0.9:22        10.3.0.1:22",
        ]
        let expected = (["IPVS connection entries", "pro expire state       source             virtual            destination"] + rows)
            .map { $0 + "\n" }.joined()
        #expect(IPVSListing.connections(table) == expected)
        #expect(try IPVSListing.list(table, listOptions { $0.connections = true }) == expected)

        // --persistent-conn widens the title; entries without persistence-engine data keep the short row.
        let withEngine = (["IPVS connection entries",
                           "pro expire state       source             virtual            destination        pe name          pe_data"] + rows)
            .map { $0 + "\n" }.joined()
        #expect(IPVSListing.connections(table, persistentEngine: true) == withEngine)
        #expect(try IPVSListing.list(table, listOptions { $0.connections = true; $0.persistentConnections = true }) == withEngine)
    }

    /// %02d does not cap the minutes: 7199 s is 119:59, filling the %-6s column.
    @Test func connectionsExpiryPastAnHour() throws {
        let web = listingTCP("10.0.0.1:80"), dns = listingUDP("10.0.0.1:53")
        var table = try listingTable([
            .setTimeouts(tcp: 7200, tcpFin: 0, udp: 60),
            listingService(web, .rr), listingServer(web, "192.168.1.1:80", .masquerade),
            listingService(dns, .rr), listingServer(dns, "192.168.1.2:53", .masquerade),
        ])
        listingConnect(&table, .tcp, from: "1.2.3.4:5000", to: "10.0.0.1:80")
        listingConnect(&table, .udp, from: "1.2.3.4:5000", to: "10.0.0.1:53")
        table.advance(to: DirectorTime(microseconds: 500_000))
        #expect(IPVSListing.connections(table) == listingText(
            "IPVS connection entries",
            "pro expire state       source             virtual            destination",
            "TCP 119:59 ESTABLISHED 1.2.3.4:5000       10.0.0.1:80        192.168.1.1:80",
            "UDP 00:59  UDP         1.2.3.4:5000       10.0.0.1:53        192.168.1.2:53"
        ))
    }

    @Test func connectionsOfAnEmptyTable() {
        #expect(IPVSListing.connections(DirectorTable()) == listingText(
            "IPVS connection entries",
            "pro expire state       source             virtual            destination"
        ))
    }
}
