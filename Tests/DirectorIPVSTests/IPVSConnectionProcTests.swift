import Director
import DirectorIPVS
import ShoalCore
import Testing

/// `/proc/net/ip_vs_conn` printed as `ipvsadm -L -n -c` prints it.
@Suite struct IPVSConnectionProcTests {
    static let proc = """
        Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
        TCP 0A000063 C350 0A000001 0050 C0A80102 0050 ESTABLISHED     899
        UDP 0A000063 1F90 0A000001 0035 C0A80104 0035 UDP             299
        IP  0A000063 0000 00000007 0000 C0A80105 0000 NONE             59
        TCP 2001:0db8:0000:0000:0000:0000:0000:0063 C350 2001:0db8:0000:0000:0000:0000:0000:0001 01BB 2001:0db8:0000:0000:0000:0000:0000:0010 01BB FIN_WAIT        62
        UDP 0A000063 13C4 0A000002 13C4 C0A80109 13C4 UDP             120 sip 3f2a
        garbage line
        """

    @Test func listsLikeIpvsadm() {
        #expect(IPVSConnectionProc.listing(Self.proc) == """
            IPVS connection entries
            pro expire state       source             virtual            destination
            TCP 14:59  ESTABLISHED 10.0.0.99:50000    10.0.0.1:80        192.168.1.2:80
            UDP 04:59  UDP         10.0.0.99:8080     10.0.0.1:53        192.168.1.4:53
            IP  00:59  NONE        10.0.0.99:0        0.0.0.7:0          192.168.1.5:0
            TCP 01:02  FIN_WAIT    [2001:db8::63]:50000 [2001:db8::1]:443  [2001:db8::10]:443
            UDP 02:00  UDP         10.0.0.99:5060     10.0.0.2:5060      192.168.1.9:5060

            """)
    }

    /// Without -n: each endpoint through addrport_to_anyname with the entry's protocol (IP entries name no port).
    @Test func listsNamesWithoutNumeric() {
        let names = ListingNames(
            hosts: [IPAddress("10.0.0.1")!: "vip.example", IPAddress("192.168.1.5")!: "r5.example", IPAddress("2001:db8::1")!: "vip6.example"],
            services: [ListingNames.Port(80, .tcp): "http", ListingNames.Port(53, .udp): "domain", ListingNames.Port(0, .tcp): "never"])
        #expect(IPVSConnectionProc.listing(Self.proc, names: names) == """
            IPVS connection entries
            pro expire state       source             virtual            destination
            TCP 14:59  ESTABLISHED 10.0.0.99:50000    vip.example:http   192.168.1.2:http
            UDP 04:59  UDP         10.0.0.99:8080     vip.example:domain 192.168.1.4:domain
            IP  00:59  NONE        10.0.0.99:0        0.0.0.7:0          r5.example:0
            TCP 01:02  FIN_WAIT    [2001:db8::63]:50000 [vip6.example]:443 [2001:db8::10]:443
            UDP 02:00  UDP         10.0.0.99:5060     10.0.0.2:5060      192.168.1.9:5060

            """)
        let wanted = IPVSConnectionProc.wanted(Self.proc)
        #expect(wanted.addresses.contains(IPAddress("2001:db8::63")!) && wanted.addresses.contains(IPAddress("0.0.0.7")!))
        #expect(wanted.ports.contains(ListingNames.Port(0, .ip)) && wanted.ports.contains(ListingNames.Port(53, .udp)))
        #expect(!wanted.ports.contains(ListingNames.Port(53, .tcp)))
    }

    @Test func persistenceEngineColumns() {
        let text = IPVSConnectionProc.listing(Self.proc, persistentEngine: true)
        #expect(text.hasPrefix("IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\n"))
        #expect(text.contains("UDP 02:00  UDP         10.0.0.99:5060     10.0.0.2:5060      192.168.1.9:5060   sip              3f2a\n"))
    }

    @Test func emptyAndMissingHeader() {
        #expect(IPVSConnectionProc.listing("") == "IPVS connection entries\npro expire state       source             virtual            destination\n")
    }

    @Test func daemonListing() {
        #expect(IPVSSyncDaemon.listing([
            IPVSSyncDaemon(role: .backup, interface: "eth1", syncID: 2),
            IPVSSyncDaemon(role: .master, interface: "lo", syncID: 3, maxLength: 1472, group: .v4(0xe000_0051), port: 8848, ttl: 1),
        ]) == "master sync daemon (mcast=lo, syncid=3, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\nbackup sync daemon (mcast=eth1, syncid=2)\n")
    }
}
