import Director
@testable import DirectorAdmin
import ShoalCore
import Testing

/// The URL-safe service and server ids: printing, parsing, round trips.
@Suite struct ServicePathIDTests {
    @Test(arguments: [
        (VirtualServiceKey.address(.tcp, Endpoint("127.0.0.1:8080")!), "tcp-127.0.0.1-8080"),
        (.address(.udp, Endpoint("10.1.2.3:53")!), "udp-10.1.2.3-53"),
        (.address(.sctp, Endpoint("10.1.2.3:9")!), "sctp-10.1.2.3-9"),
        (.address(.tcp, Endpoint("[2001:db8::1]:80")!), "tcp-%5B2001%3Adb8%3A%3A1%5D-80"),
        (.address(.udp, Endpoint("[::ffff:1.2.3.4]:0")!), "udp-%5B%3A%3Affff%3A1.2.3.4%5D-0"),
        (.fwmark(5, .inet), "fwm-5"),
        (.fwmark(4_294_967_295, .inet6), "fwm6-4294967295"),
    ])
    func servicesPrintAndParseBack(key: VirtualServiceKey, id: String) throws {
        #expect(ServicePathID.string(for: key) == id)
        #expect(try ServicePathID.parseService(id) == key)
        // Only unreserved characters and %XX escapes: safe in any path segment.
        #expect(id.allSatisfy { $0.isLetter || $0.isNumber || "-._~%".contains($0) })
    }

    @Test func plainAndMixedCaseFormsAreReadToo() throws {
        #expect(try ServicePathID.parseService("tcp-[2001:db8::1]-80") == .address(.tcp, Endpoint("[2001:db8::1]:80")!))
        #expect(try ServicePathID.parseService("TCP-%5b2001:db8::1%5d-80") == .address(.tcp, Endpoint("[2001:db8::1]:80")!))
        #expect(try ServicePathID.parseService("UDP-127.0.0.1-53") == .address(.udp, Endpoint("127.0.0.1:53")!))
    }

    @Test(arguments: ["", "tcp", "tcp-127.0.0.1", "tcp-127.0.0.1-", "tcp-127.0.0.1-65536", "tcp-127.0.0.1-8x", "icmp-127.0.0.1-1",
                      "tcp-2001:db8::1-80", "tcp-[127.0.0.1]-80", "tcp-[zz]-80", "fwm-", "fwm-0", "fwm-x", "fwm-4294967296",
                      "tcp-127.0.0.1-80%", "tcp-127.0.0.1-8%G0", "tcp-%FF-80", "tcp-127.0.0.1--80"])
    func malformedServiceIdsAreRefused(id: String) {
        #expect(throws: ConfigError.self) { try ServicePathID.parseService(id) }
    }

    @Test func serversRoundTripInBothForms() throws {
        for text in ["127.0.0.2:80", "127.0.0.4:0", "[2001:db8::10]:53", "[fe80::1]:65535"] {
            let endpoint = Endpoint(text)!
            let id = ServicePathID.string(for: endpoint)
            #expect(try ServicePathID.parseServer(id) == endpoint)
            #expect(try ServicePathID.parseServer(text) == endpoint)
        }
        #expect(ServicePathID.string(for: Endpoint("127.0.0.2:80")!) == "127.0.0.2-80")
        #expect(ServicePathID.string(for: Endpoint("[2001:db8::10]:53")!) == "%5B2001%3Adb8%3A%3A10%5D-53")
        for bad in ["127.0.0.2", "127.0.0.2-", "2001:db8::10-53", "[2001:db8::10]", "x-1", "%5B2001-53"] {
            #expect(throws: ConfigError.self) { try ServicePathID.parseServer(bad) }
        }
    }
}

/// Small pure pieces: routes, bearer comparison, netmasks, server states.
@Suite struct AdminPiecesTests {
    @Test func routesAreReadFromPaths() {
        #expect(AdminRoute(path: "/") == .statusPage)
        #expect(AdminRoute(path: "/status") == .statusPage)
        #expect(AdminRoute(path: "/metrics") == .metrics)
        #expect(AdminRoute(path: "/api/services/") == .services)
        #expect(AdminRoute(path: "/api/services/fwm-5") == .service("fwm-5"))
        #expect(AdminRoute(path: "/api/services/fwm-5/servers") == .servers("fwm-5"))
        #expect(AdminRoute(path: "/api/services/fwm-5/servers/127.0.0.4-0") == .server("fwm-5", "127.0.0.4-0"))
        #expect(AdminRoute(path: "/api/services/fwm-5/servers/127.0.0.4-0/drain") == .drain("fwm-5", "127.0.0.4-0"))
        #expect(AdminRoute(path: "/api/ipvsadm") == .ipvsadm)
        for bad in ["", "api", "/api", "/api/services//servers", "/api/services/x/y", "/api/services/x/servers/y/z", "/metrics/x", "//"] {
            #expect(AdminRoute(path: bad) == nil, "\(bad)")
        }
    }

    @Test func bearerTokensCompareWholly() {
        #expect(BearerToken.matches("s3cret", expected: "s3cret"))
        #expect(!BearerToken.matches("s3cre", expected: "s3cret"))
        #expect(!BearerToken.matches("s3cret!", expected: "s3cret"))
        #expect(!BearerToken.matches("S3cret", expected: "s3cret"))
        #expect(!BearerToken.matches("", expected: "s3cret"))
        // Different lengths whose xor of counts wraps to 0 in a byte are still different.
        #expect(!BearerToken.matches(String(repeating: "a", count: 256), expected: ""))
        #expect(BearerToken.presented(in: ["Authorization": "Bearer  abc "]) == "abc")
        #expect(BearerToken.presented(in: ["Authorization": "bearer abc"]) == "abc")
        #expect(BearerToken.presented(in: ["Authorization": "Basic abc"]) == nil)
    }

    @Test func netmasksReadAndPrint() {
        #expect(NetmaskText.netmask("255.255.255.0", family: .inet) == 0xffff_ff00)
        #expect(NetmaskText.netmask("24", family: .inet) == 0xffff_ff00)
        #expect(NetmaskText.netmask("0", family: .inet) == 0)
        #expect(NetmaskText.netmask("255.0.255.0", family: .inet) == nil)
        #expect(NetmaskText.netmask("64", family: .inet6) == 64)
        #expect(NetmaskText.netmask("129", family: .inet6) == nil)
        #expect(NetmaskText.text(0xffff_ff00, family: .inet) == "255.255.255.0")
        #expect(NetmaskText.text(64, family: .inet6) == "64")
    }

    @Test func serverStatesFollowHealthThenWeight() {
        let checkedUp = ServerHealthReportFixture.report(up: true, kind: "tcp")
        let checkedDown = ServerHealthReportFixture.report(up: false, kind: "tcp")
        let unchecked = ServerHealthReportFixture.report(up: false, kind: nil)
        #expect(ServerState(weight: 1, health: checkedUp) == .up)
        #expect(ServerState(weight: 0, health: checkedUp) == .drain)
        #expect(ServerState(weight: 0, health: checkedDown) == .down)
        #expect(ServerState(weight: 1, health: checkedDown) == .down)
        #expect(ServerState(weight: 1, health: nil) == .noCheck)
        #expect(ServerState(weight: 1, health: unchecked) == .noCheck)
        #expect(ServerState(weight: 0, health: nil) == .drain)
        #expect(ServerState.isUp(nil) && ServerState.isUp(unchecked) && !ServerState.isUp(checkedDown))
    }

    @Test func htmlEscapingCoversMarkupAndQuotes() {
        #expect(HTMLText.escape(AdminFixture.hostileMessage) == "refused &lt;b id=&quot;pwn&quot;&gt;&amp;&#39;x&#39;&lt;/b&gt;")
        #expect(HTMLText.duration(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3d 4h 5m 6s")
        #expect(HTMLText.time(1_700_000_000.9) == "2023-11-14T22:13:20Z")
    }

    @Test func editsKeepUnspecifiedValues() throws {
        let table = try AdminFixture.table()
        let service = table.service(AdminFixture.web)!
        let server = service.servers[service.index(of: AdminFixture.up)!]
        let command = try MutationRequests.editServer(try JSONValue.parse(Array(#"{"weight": 7}"#.utf8)), service: AdminFixture.web, current: server)
        #expect(command == .editServer(AdminFixture.web, RealServerConfig(endpoint: AdminFixture.up, forwarding: .masquerade, weight: 7,
                                                                          upperThreshold: 50, lowerThreshold: 20)))
        let marked = table.service(AdminFixture.mark)!
        let edit = try MutationRequests.editService(try JSONValue.parse(Array(#"{"scheduler": "rr"}"#.utf8)), current: marked)
        var expected = marked.config
        expected.scheduler = .rr
        #expect(edit == .editService(expected))
        #expect(expected.persistence == Persistence(timeout: 300, netmask: 0xffff_ff00))
    }
}

import HealthCheck

enum ServerHealthReportFixture {
    static func report(up: Bool, kind: String?) -> ServerHealthReport { ServerHealthReport(isUp: up, checkKind: kind) }
}
