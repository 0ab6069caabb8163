import ShoalCore
import Testing

/// IPv4/IPv6 parsing and printing as inet_pton/inet_ntop, endpoints, and located errors.
@Suite struct AddressTests {
    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0"), ("10.0.0.1", "10.0.0.1"), ("255.255.255.255", "255.255.255.255"),
        ("2001:db8::1", "2001:db8::1"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("::", "::"), ("::1", "::1"),
        ("1::", "1::"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("::192.0.2.1", "::192.0.2.1"), ("fe80::1:2", "fe80::1:2"),
    ])
    func parsesAndPrintsLikeInetNtop(_ text: String, _ printed: String) {
        #expect(IPAddress(text)?.description == printed)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ":::", "g::1", "1.2.3.4 "])
    func rejectsGarbage(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func masksAndFolds() {
        #expect(IPAddress("192.168.7.9")!.masked(v4Netmask: 0xffff_ff00) == IPAddress("192.168.7.0"))
        #expect(IPAddress("2001:db8:aa:bb:1:2:3:4")!.masked(prefixLength: 64) == IPAddress("2001:db8:aa:bb::"))
        #expect(IPAddress("2001:db8::1")!.masked(prefixLength: 0) == IPAddress("::"))
        #expect(IPAddress("2001:db8::1")!.masked(prefixLength: 128) == IPAddress("2001:db8::1"))
        #expect(IPAddress("10.0.0.1")!.foldedWord == 0x0a00_0001)
        #expect(IPAddress("::1")!.foldedWord == 1)
        #expect(IPAddress("10.0.0.1")!.family == .inet)
        #expect(IPAddress("::1")!.family == .inet6)
    }

    @Test func endpoints() {
        #expect(Endpoint("10.0.0.1:80")?.description == "10.0.0.1:80")
        #expect(Endpoint("[2001:db8::1]:443")?.description == "[2001:db8::1]:443")
        #expect(Endpoint("10.0.0.1") == nil)
        #expect(Endpoint("10.0.0.1", requirePort: false)?.port == 0)
        #expect(Endpoint("[::1]", requirePort: false)?.description == "[::1]:0")
        #expect(Endpoint("10.0.0.1:65536") == nil)
        #expect(Endpoint("2001:db8::1:80") == nil)
        #expect(Endpoint("[10.0.0.1]:80") == nil)
        #expect(Endpoint("[::1]80") == nil)
    }

    @Test func configErrorsNameFileLineAndField() {
        let e = ConfigError(field: "-w", "illegal weight specified").located(file: "lvs.rules", line: 3)
        #expect(e.description == "lvs.rules:3: -w: illegal weight specified")
        #expect(ConfigError("plain").description == "plain")
        #expect(ConfigError(file: "f", "x").located(file: "g", line: 2).description == "f:2: x")
    }
}
