import Director
import DirectorIPVS
import ShoalCore
import Testing

/// The bytes of each request, written out by hand from the layouts of include/uapi/linux/ip_vs.h
/// (struct nlmsghdr, struct genlmsghdr, struct nlattr; host order is little-endian; ports in network order).
@Suite struct IPVSRequestGoldenTests {
    static let family: UInt16 = 0x1c

    static func bytes(_ request: IPVSRequest, sequence: UInt32 = 1) -> [UInt8] {
        request.message(family: family, sequence: sequence).bytes
    }

    static func key(_ text: String, _ proto: TransportProtocol = .tcp) -> VirtualServiceKey {
        .address(proto, Endpoint(text)!)
    }

    @Test func newServiceIPv4() {
        let request = IPVSRequest.newService(VirtualServiceConfig(key: Self.key("10.0.0.1:80"), scheduler: .rr))
        let expected = hex("""
            68000000 1c00 0500 01000000 00000000
            01 01 0000
            5400 0100
              0600 0100 0200 0000
              0600 0200 0600 0000
              1400 0300 0a000001 00000000 00000000 00000000
              0600 0400 0050 0000
              0700 0600 727200 00
              0c00 0700 00000000 ffffffff
              0800 0800 00000000
              0800 0900 ffffffff
            """)
        #expect(hexText(Self.bytes(request)) == hexText(expected))
    }

    @Test func persistentServiceWithFlagsEngineAndNetmask() {
        var config = VirtualServiceConfig(key: Self.key("10.0.0.2:5060", .udp), scheduler: .sh,
                                          persistence: Persistence(timeout: 300, netmask: 0xffff_ff00), onePacket: true,
                                          schedulerFlags: [.fallback, .port], persistenceEngine: "sip")
        config.netmask = 0xffff_ff00
        let request = IPVSRequest.setService(config)
        let expected = hex("""
            70000000 1c00 0500 07000000 00000000
            02 01 0000
            5c00 0100
              0600 0100 0200 0000
              0600 0200 1100 0000
              1400 0300 0a000002 00000000 00000000 00000000
              0600 0400 13c4 0000
              0700 0600 736800 00
              0800 0b00 73697000
              0c00 0700 1d000000 ffffffff
              0800 0800 2c010000
              0800 0900 ffffff00
            """)
        #expect(hexText(Self.bytes(request, sequence: 7)) == hexText(expected))
    }

    @Test func fwmarkIPv6ServiceKeepsPrefixLengthInHostOrder() {
        var config = VirtualServiceConfig(key: .fwmark(7, .inet6), scheduler: .wlc, persistence: Persistence(timeout: 60, netmask: 64))
        config.netmask = 64
        let body = IPVSRequest.newService(config).body
        #expect(hexText(body) == hexText(hex("""
            01 01 0000
            3800 0100
              0600 0100 0a00 0000
              0800 0500 07000000
              0800 0600 776c6300
              0c00 0700 01000000 ffffffff
              0800 0800 3c000000
              0800 0900 40000000
            """)))
    }

    @Test func newDestTunnelGUEWithChecksumIPv6() {
        let server = RealServerConfig(endpoint: Endpoint("[2001:db8::10]:80")!, forwarding: .tunnel, weight: 3,
                                      upperThreshold: 100, lowerThreshold: 10, tunnel: TunnelInfo(kind: .gue, port: 6080, checksum: .checksum))
        let body = IPVSRequest.newDest(.fwmark(7, .inet6), server).body
        #expect(hexText(body) == hexText(hex("""
            05 01 0000
            1400 0100
              0600 0100 0a00 0000
              0800 0500 07000000
            6000 0200
              1400 0100 20010db8 00000000 00000000 00000010
              0600 0200 0050 0000
              0800 0300 02000000
              0800 0400 03000000
              0500 0d00 01 000000
              0600 0e00 17c0 0000
              0600 0f00 0100 0000
              0800 0500 64000000
              0800 0600 0a000000
              0600 0b00 0a00 0000
            """)))
    }

    @Test func forwardingMethodsAndTunnelTypes() {
        func fields(_ forwarding: ForwardingMethod, _ tunnel: TunnelInfo = TunnelInfo()) -> [UInt8] {
            let body = IPVSRequest.setDest(Self.key("10.0.0.1:80"), RealServerConfig(endpoint: Endpoint("10.1.0.1:8080")!, forwarding: forwarding, tunnel: tunnel)).body
            // genl header 4 + service nest (4 + 8+8+20+8) = 52; the dest nest header 4, address 20, port 8.
            let dest = Array(body[52...])
            return [dest[4 + 20 + 8 + 4], dest[4 + 20 + 8 + 8 + 8 + 4], dest[4 + 20 + 8 + 8 + 8 + 8 + 4 + 1], dest[4 + 20 + 8 + 8 + 8 + 8 + 8 + 4]]
        }
        #expect(fields(.masquerade) == [0, 0, 0, 0])
        #expect(fields(.local) == [1, 0, 0, 0])
        #expect(fields(.tunnel) == [2, 0, 0, 0])
        #expect(fields(.route) == [3, 0, 0, 0])
        #expect(fields(.tunnel, TunnelInfo(kind: .gre, checksum: .remote)) == [2, 2, 0, 2])
        #expect(fields(.tunnel, TunnelInfo(kind: .gue, port: 0x1234, checksum: .none)) == [2, 1, 0x34, 0])
    }

    @Test func deleteDestCarriesOnlyTheKeys() {
        let body = IPVSRequest.deleteDest(Self.key("10.0.0.1:80"), Endpoint("10.1.0.1:8080")!).body
        #expect(hexText(body) == hexText(hex("""
            07 01 0000
            3000 0100
              0600 0100 0200 0000
              0600 0200 0600 0000
              1400 0300 0a000001 00000000 00000000 00000000
              0600 0400 0050 0000
            2800 0200
              1400 0100 0a010001 00000000 00000000 00000000
              0600 0200 1f90 0000
              0600 0b00 0200 0000
            """)))
    }

    @Test func tableWideCommandsAndDumps() {
        #expect(hexText(Self.bytes(.flush)) == hexText(hex("14000000 1c00 0500 01000000 00000000 11 01 0000")))
        #expect(hexText(Self.bytes(.zero(nil))) == hexText(hex("14000000 1c00 0500 01000000 00000000 10 01 0000")))
        #expect(hexText(Self.bytes(.getServices)) == hexText(hex("14000000 1c00 0503 01000000 00000000 04 01 0000")))
        #expect(hexText(Self.bytes(.getInfo)) == hexText(hex("14000000 1c00 0500 01000000 00000000 0f 01 0000")))
        #expect(hexText(Self.bytes(.getConfig)) == hexText(hex("14000000 1c00 0500 01000000 00000000 0d 01 0000")))
        #expect(hexText(Self.bytes(.getDaemons)) == hexText(hex("14000000 1c00 0503 01000000 00000000 0b 01 0000")))
        #expect(hexText(IPVSRequest.getDests(.fwmark(1, .inet)).message(family: 0x1c, sequence: 2).bytes) == hexText(hex("""
            28000000 1c00 0503 02000000 00000000 08 01 0000
            1400 0100 0600 0100 0200 0000 0800 0500 01000000
            """)))
        #expect(hexText(IPVSRequest.zero(.fwmark(1, .inet)).body) == hexText(hex("10 01 0000 1400 0100 0600 0100 0200 0000 0800 0500 01000000")))
    }

    @Test func timeoutsAndDaemons() {
        #expect(hexText(IPVSRequest.setConfig(tcp: 900, tcpFin: 0, udp: 300).body) == hexText(hex("""
            0c 01 0000 0800 0400 84030000 0800 0500 00000000 0800 0600 2c010000
            """)))
        #expect(hexText(IPVSRequest.deleteDaemon(.backup).body) == hexText(hex("0a 01 0000 0c00 0300 0800 0100 02000000")))
        let daemon = IPVSSyncDaemon(role: .master, interface: "eth0", syncID: 5, maxLength: 1400, group: IPAddress("239.1.2.3"), port: 8849, ttl: 2)
        #expect(hexText(IPVSRequest.newDaemon(daemon).body) == hexText(hex("""
            09 01 0000
            4000 0300
              0800 0100 01000000
              0900 0200 65746830 00 000000
              0800 0300 05000000
              0600 0400 7805 0000
              0800 0500 ef010203
              0600 0700 9122 0000
              0500 0800 02 000000
            """)))
        let v6 = IPVSSyncDaemon(role: .backup, interface: "lo", group: IPAddress("ff02::12"))
        #expect(hexText(IPVSRequest.newDaemon(v6).body) == hexText(hex("""
            09 01 0000
            3000 0300
              0800 0100 02000000
              0700 0200 6c6f00 00
              0800 0300 00000000
              1400 0600 ff020000 00000000 00000000 00000012
            """)))
    }

    @Test func everyTableCommandHasARequest() throws {
        let key = Self.key("10.0.0.1:80")
        let server = RealServerConfig(endpoint: Endpoint("10.1.0.1:80")!)
        #expect(try IPVSRequest(.addService(VirtualServiceConfig(key: key))) == .newService(VirtualServiceConfig(key: key)))
        #expect(try IPVSRequest(.editServer(key, server)) == .setDest(key, server))
        #expect(try IPVSRequest(.deleteServer(key, server.endpoint)) == .deleteDest(key, server.endpoint))
        #expect(try IPVSRequest(.setTimeouts(tcp: 1, tcpFin: 2, udp: 3)) == .setConfig(tcp: 1, tcpFin: 2, udp: 3))
        #expect(throws: IPVSKernelError.self) { try IPVSRequest(.save(numeric: true)) }
    }
}
