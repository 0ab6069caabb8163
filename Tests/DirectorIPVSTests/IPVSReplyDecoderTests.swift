import Director
import DirectorIPVS
import ShoalCore
import Testing
import ShoalTestFixtures

/// Decoding the kernel's answers: dumps of services and real servers (STATS and STATS64), info, timeouts,
/// daemons, errors — and garbage, which must throw, never trap.
@Suite(.offCooperativePool) struct IPVSReplyDecoderTests {
    /// A real server as ip_vs_genl_fill_dest lays it out, with 32-bit STATS only (flagged NLA_F_NESTED).
    static let destMessage = hex("""
        d0000000 1c00 0200 03000000 00000000
        05 01 0000
        bc00 0200
          1400 0100 c0a80102 00000000 00000000 00000000
          0600 0200 0050 0000
          0800 0300 00000000
          0800 0400 05000000
          0800 0500 00000000
          0800 0600 00000000
          0800 0700 03000000
          0800 0800 04000000
          0800 0900 01000000
          0600 0b00 0200 0000
          5c00 0a80
            0800 0100 0a000000
            0800 0200 14000000
            0800 0300 1e000000
            0c00 0400 a00f0000 00000000
            0c00 0500 88130000 00000000
            0800 0600 01000000
            0800 0700 02000000
            0800 0800 03000000
            0800 0900 04000000
            0800 0a00 05000000
        """)

    @Test func destFromHandWrittenBytes() throws {
        let messages = try NetlinkMessage.split(Self.destMessage)
        #expect(messages.count == 1)
        #expect(messages[0].type == 0x1c && messages[0].flags == 2 && messages[0].sequence == 3)
        let dest = try IPVSReplyDecoder.dest(try GenericNetlinkBody(messages[0].payload, context: "test"), serviceFamily: .inet)
        #expect(dest.config == RealServerConfig(endpoint: Endpoint("192.168.1.2:80")!, forwarding: .masquerade, weight: 5))
        #expect(dest.activeConnections == 3 && dest.inactiveConnections == 4 && dest.persistentConnections == 1)
        #expect(dest.stats.connections == 10 && dest.stats.inPackets == 20 && dest.stats.outPackets == 30)
        #expect(dest.stats.inBytes == 4000 && dest.stats.outBytes == 5000)
        #expect(dest.rates.connectionsPerSecond == 1 && dest.rates.outBytesPerSecond == 5)
    }

    /// A service body as the kernel writes it, built with the writer: STATS with small numbers and STATS64
    /// with ones past 32 bits, padding attributes between them.
    static func serviceBody(_ key: VirtualServiceKey, scheduler: String = "wrr", flags: UInt32 = 0x2, timeout: UInt32 = 0,
                            netmask: [UInt8] = [0xff, 0xff, 0xff, 0xff], engine: String? = nil) -> [UInt8] {
        var w = NetlinkAttributeWriter()
        w.nest(1) { s in
            s.putU16(1, UInt16(key.family.rawValue))
            switch key {
            case let .fwmark(mark, _): s.putU32(5, mark)
            case let .address(proto, endpoint):
                s.putU16(2, UInt16(proto.rawValue))
                var address: [UInt8]
                switch endpoint.address {
                case let .v4(v): address = withUnsafeBytes(of: v.bigEndian) { Array($0) } + [UInt8](repeating: 0, count: 12)
                case let .v6(hi, lo): address = withUnsafeBytes(of: hi.bigEndian) { Array($0) } + withUnsafeBytes(of: lo.bigEndian) { Array($0) }
                }
                s.put(3, bytes: address)
                s.putBigEndianU16(4, endpoint.port)
            }
            s.putString(6, scheduler)
            if let engine { s.putString(11, engine) }
            s.put(7, bytes: withUnsafeBytes(of: flags) { Array($0) } + [0xff, 0xff, 0xff, 0xff])
            s.putU32(8, timeout)
            s.put(9, bytes: netmask)
            s.nest(10) { t in
                t.putU32(1, 7); t.putU32(2, 8); t.putU32(3, 9)
                t.put(11, bytes: [])
                t.putU64(4, 10); t.putU64(5, 11)
                for type in UInt16(6)...10 { t.putU32(type, 1) }
            }
            s.nest(12) { t in
                t.putU64(1, 1 << 33); t.putU64(2, 2); t.putU64(3, 3)
                t.put(11, bytes: [])
                t.putU64(4, 1 << 40); t.putU64(5, 5)
                for type in UInt16(6)...10 { t.putU64(type, UInt64(type)) }
            }
        }
        return [1, 1, 0, 0] + w.bytes
    }

    @Test func serviceStats64WinsAndHashedFlagIsKept() throws {
        let body = try GenericNetlinkBody(Self.serviceBody(.address(.tcp, Endpoint("10.0.0.1:80")!)), context: "test")
        let entry = try IPVSReplyDecoder.service(body)
        #expect(entry.config == VirtualServiceConfig(key: .address(.tcp, Endpoint("10.0.0.1:80")!), scheduler: .wrr))
        #expect(entry.flags == 0x2)
        #expect(entry.stats.connections == 1 << 33 && entry.stats.inBytes == 1 << 40 && entry.stats.outBytes == 5)
        #expect(entry.rates.connectionsPerSecond == 6 && entry.rates.outBytesPerSecond == 10)
    }

    @Test func persistentIPv6FwmarkServiceWithEngineAndFlags() throws {
        let body = try GenericNetlinkBody(Self.serviceBody(.fwmark(0x8000_0001, .inet6), scheduler: "mh", flags: 0x1 | 0x2 | 0x4 | 0x10,
                                                           timeout: 600, netmask: [64, 0, 0, 0], engine: "sip"), context: "test")
        let entry = try IPVSReplyDecoder.service(body)
        var expected = VirtualServiceConfig(key: .fwmark(0x8000_0001, .inet6), scheduler: .mh, persistence: Persistence(timeout: 600, netmask: 64),
                                            onePacket: true, schedulerFlags: .port, persistenceEngine: "sip")
        expected.netmask = 64
        #expect(entry.config == expected)
    }

    @Test func ipv4NetmaskComesInNetworkOrder() throws {
        let body = try GenericNetlinkBody(Self.serviceBody(.address(.udp, Endpoint("10.0.0.1:53")!), scheduler: "rr", flags: 1, timeout: 300,
                                                           netmask: [0xff, 0xff, 0xff, 0x00]), context: "test")
        let entry = try IPVSReplyDecoder.service(body)
        #expect(entry.config.persistence == Persistence(timeout: 300, netmask: 0xffff_ff00))
    }

    @Test func tunnelDestAcrossFamilies() throws {
        var w = NetlinkAttributeWriter()
        w.nest(2) { d in
            d.put(1, bytes: hex("20010db8 00000000 00000000 00000002"))
            d.putBigEndianU16(2, 0)
            d.putU32(3, 2); d.putU32(4, 7); d.putU32(5, 50); d.putU32(6, 40)
            d.putU32(7, 0); d.putU32(8, 0); d.putU32(9, 0)
            d.putU16(11, 10)
            d.putU8(13, 2); d.putBigEndianU16(14, 0); d.putU16(15, 3)
        }
        let dest = try IPVSReplyDecoder.dest(try GenericNetlinkBody([5, 1, 0, 0] + w.bytes, context: "t"), serviceFamily: .inet)
        #expect(dest.config == RealServerConfig(endpoint: Endpoint("[2001:db8::2]:0")!, forwarding: .tunnel, weight: 7, upperThreshold: 50,
                                                lowerThreshold: 40, tunnel: TunnelInfo(kind: .gre, checksum: .remote)))
        #expect(dest.stats == TrafficStats())
    }

    @Test func infoTimeoutsAndDaemons() throws {
        var info = NetlinkAttributeWriter()
        info.putU32(1, 0x010201); info.putU32(2, 4096)
        let decoded = try IPVSReplyDecoder.info(try GenericNetlinkBody([14, 1, 0, 0] + info.bytes, context: "t"))
        #expect(decoded.versionText == "1.2.1" && decoded.connectionTableSize == 4096)
        var timeouts = NetlinkAttributeWriter()
        timeouts.putU32(4, 900); timeouts.putU32(5, 120); timeouts.putU32(6, 300)
        #expect(try IPVSReplyDecoder.timeouts(try GenericNetlinkBody([12, 1, 0, 0] + timeouts.bytes, context: "t")) == Timeouts())
        var daemon = NetlinkAttributeWriter()
        daemon.nest(3) { d in
            d.putU32(1, 2); d.putString(2, "eth1"); d.putU32(3, 9); d.putU16(4, 1472)
            d.put(5, bytes: [224, 0, 0, 81]); d.put(6, bytes: [UInt8](repeating: 0, count: 16)); d.putU16(7, 8848); d.putU8(8, 1)
        }
        #expect(try IPVSReplyDecoder.daemon(try GenericNetlinkBody([9, 1, 0, 0] + daemon.bytes, context: "t"))
            == IPVSSyncDaemon(role: .backup, interface: "eth1", syncID: 9, maxLength: 1472, group: IPAddress("224.0.0.81"), port: 8848, ttl: 1))
    }

    @Test func errorsAcksAndDone() throws {
        let datagram = hex("""
            24000000 0200 0000 05000000 00000000 fdffffff 14000000 1c00 0500 05000000 00000000
            14000000 0300 0200 06000000 00000000 00000000
            """)
        let messages = try NetlinkMessage.split(datagram)
        #expect(messages.map(\.type) == [2, 3])
        #expect(try messages[0].errorCode() == -3)
        #expect(try messages[1].errorCode() == 0)
    }

    @Test func kernelErrorsSpeakIpvsadm() {
        #expect(IPVSKernelError(.deleteService, .kernel(errno: 3)).ipvsadmMessage == "No such service")
        #expect(IPVSKernelError(.addDest, .kernel(errno: 3)).ipvsadmMessage == "Service not defined")
        #expect(IPVSKernelError(.addService, .kernel(errno: 2)).ipvsadmMessage == "Scheduler or persistence engine not found")
        #expect(IPVSKernelError(.addDest, .kernel(errno: 22)).ipvsadmMessage == "Invalid operation.  Possibly wrong module version, address not unicast, ...")
        #expect(IPVSKernelError(.startDaemon, .kernel(errno: 101)).ipvsadmMessage == "Network is unreachable")
        #expect(IPVSKernelError(.updateDest, .kernel(errno: 2)).description == "IPVS updateDest: No such destination (errno 2)")
    }

    @Test func truncationsOfValidRepliesThrowNeverTrap() {
        let body = Self.serviceBody(.address(.tcp, Endpoint("10.0.0.1:80")!))
        for length in 0..<body.count {
            let prefix = Array(body[..<length])
            _ = try? IPVSReplyDecoder.service(try GenericNetlinkBody(prefix, context: "t"))
            _ = try? IPVSReplyDecoder.dest(try GenericNetlinkBody(prefix, context: "t"), serviceFamily: .inet)
        }
        for length in 0..<Self.destMessage.count {
            _ = try? NetlinkMessage.split(Self.destMessage[..<length])
        }
    }

    @Test func randomGarbageThrowsNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let valid = Self.serviceBody(.fwmark(3, .inet))
        for round in 0..<5000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            _ = try? NetlinkMessage.split(bytes)
            if let body = try? GenericNetlinkBody(bytes, context: "fuzz") {
                _ = try? IPVSReplyDecoder.service(body)
                _ = try? IPVSReplyDecoder.dest(body, serviceFamily: .inet6)
                _ = try? IPVSReplyDecoder.daemon(body)
                _ = try? IPVSReplyDecoder.info(body)
                _ = try? IPVSReplyDecoder.timeouts(body)
            }
        }
    }

    @Test func snapshotBecomesATableThatListsLikeIpvsadm() throws {
        let service = try IPVSReplyDecoder.service(try GenericNetlinkBody(Self.serviceBody(.address(.tcp, Endpoint("10.0.0.1:80")!)), context: "t"))
        let dest = try IPVSReplyDecoder.dest(try GenericNetlinkBody(Array(Self.destMessage[16...]), context: "t"), serviceFamily: .inet)
        let snapshot = IPVSSnapshot(services: [IPVSSnapshot.Service(service: service, servers: [dest])], timeouts: Timeouts(),
                                    info: IPVSInfo(version: 0x010201, connectionTableSize: 4096))
        var options = ListOptions()
        options.numeric = true
        #expect(try IPVSListing.list(snapshot.table, options) == """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            TCP  10.0.0.1:80 wrr
              -> 192.168.1.2:80               Masq    5      3          4         

            """)
        #expect(snapshot.versionLine == IPVSListing.versionLine)
    }
}
