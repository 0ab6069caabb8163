import Failover
import ShoalCore
import Testing

/// The IPVS sync protocol v1 codec against bytes laid out from the kernel's structs (`struct ip_vs_sync_mesg`,
/// `struct ip_vs_sync_v4`/`v6`, options as TLVs, entries padded to 4 bytes) by an independent script.
@Suite struct IPVSSyncCodecTests {
    static let client = IPAddress("10.220.0.3")!
    static let vip = IPAddress("10.220.0.100")!
    static let server = IPAddress("10.220.1.10")!

    static let template = IPVSSyncConnection(ipProtocol: 6, flags: IPVSSyncConnection.templateFlag, state: 0, client: client, clientPort: 0,
                                             virtual: vip, virtualPort: 80, destination: server, destinationPort: 80, timeout: 360)
    static let established = IPVSSyncConnection(ipProtocol: 6, flags: 0, state: 1, client: client, clientPort: 40000, virtual: vip,
                                                virtualPort: 80, destination: server, destinationPort: 80, timeout: 900,
                                                sequence: [1000, 0, 0, 2000, 5, 0])

    static let goldenTwo = VRRPCodecTests.hex(
        "0007006c020100000006002400001000000000000050005000000000000001680adc00030adc00640adc010a0006003e0000000000019c4000500050"
            + "00000000000003840adc00030adc00640adc010a0118000003e80000000000000000000007d000000005000000000000")

    @Test func templateAndConnectionGoldenBytes() throws {
        let message = IPVSSyncMessage(syncID: 7, connections: [Self.template, Self.established])
        #expect(try message.encoded() == Self.goldenTwo)
        let decoded = try IPVSSyncMessage(decoding: Self.goldenTwo)
        #expect(decoded == message)
        #expect(decoded.connections.map(\.isTemplate) == [true, false])
    }

    @Test func persistenceEngineNameIsPadded() throws {
        let sip = IPVSSyncConnection(ipProtocol: 17, flags: IPVSSyncConnection.templateFlag, state: 0, client: Self.client, clientPort: 0,
                                     virtual: Self.vip, virtualPort: 5060, destination: Self.server, destinationPort: 5060, timeout: 60,
                                     persistenceEngineName: Array("sip".utf8))
        let golden = VRRPCodecTests.hex("000100340101000000110029000010000000000013c413c4000000000000003c0adc00030adc00640adc010a0303736970000000")
        #expect(try IPVSSyncMessage(syncID: 1, connections: [sip]).encoded() == golden)
        #expect(try IPVSSyncMessage(decoding: golden).connections == [sip])
    }

    @Test func ipv6TemplateGoldenBytes() throws {
        let v6 = IPVSSyncConnection(ipProtocol: 6, flags: IPVSSyncConnection.templateFlag, state: 0, client: IPAddress("fd00:220::3")!, clientPort: 0,
                                    virtual: IPAddress("fd00:220::100")!, virtualPort: 443, destination: IPAddress("fd00:221::10")!,
                                    destinationPort: 443, timeout: 300)
        let golden = VRRPCodecTests.hex("000200500101000001060048000010000000000001bb01bb000000000000012cfd000220000000000000000000000003fd0002200000"
            + "00000000000000000100fd000221000000000000000000000010")
        #expect(try IPVSSyncMessage(syncID: 2, connections: [v6]).encoded() == golden)
        #expect(try IPVSSyncMessage(decoding: golden).connections == [v6])
    }

    @Test func malformedMessagesAreRefused() {
        let bytes = Self.goldenTwo
        #expect(throws: IPVSSyncDecodingError.shorterThanHeader(7)) { try IPVSSyncMessage(decoding: Array(bytes.prefix(7))) }
        var v0 = bytes
        v0[5] = 0
        #expect(throws: IPVSSyncDecodingError.notVersion1) { try IPVSSyncMessage(decoding: v0) }
        #expect(throws: IPVSSyncDecodingError.lengthMismatch(field: 108, datagram: 100)) { try IPVSSyncMessage(decoding: Array(bytes.prefix(100))) }
        var type = bytes
        type[8] = 2
        #expect(throws: IPVSSyncDecodingError.unknownAddressType(2)) { try IPVSSyncMessage(decoding: type) }
        var small = bytes
        small[11] = 30
        #expect(throws: IPVSSyncDecodingError.badConnectionSize(index: 0, size: 30)) { try IPVSSyncMessage(decoding: small) }
        var count = bytes
        count[4] = 3
        #expect(throws: IPVSSyncDecodingError.truncatedConnection(index: 2)) { try IPVSSyncMessage(decoding: count) }
        var fewer = bytes
        fewer[4] = 1
        #expect(throws: IPVSSyncDecodingError.countMismatch(field: 1, found: 1)) { try IPVSSyncMessage(decoding: fewer) }
        var option = bytes
        option[44 + 36] = 9  // the second entry's option type
        #expect(throws: IPVSSyncDecodingError.badOption(index: 1, type: 9)) { try IPVSSyncMessage(decoding: option) }
    }

    @Test func encodingRefusesWhatTheKernelCouldNotRead() {
        var mixed = Self.template
        mixed.destination = IPAddress("fd00::1")!
        #expect(throws: IPVSSyncEncodingError.mixedFamilies(index: 0)) { try IPVSSyncMessage(syncID: 0, connections: [mixed]).encoded() }
        var sequence = Self.established
        sequence.sequence = [1, 2]
        #expect(throws: IPVSSyncEncodingError.badSequence(index: 0)) { try IPVSSyncMessage(syncID: 0, connections: [sequence]).encoded() }
    }
}
