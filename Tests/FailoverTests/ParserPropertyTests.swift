import Failover
import ShoalCore
import Testing
import ShoalTestFixtures

/// The fuzz targets' invariants over seeded random inputs (the libFuzzer runs are in `make fuzz`): mutated
/// adverts and sync messages never trap, and whatever decodes re-encodes to something that decodes the same.
@Suite(.offCooperativePool) struct ParserPropertyTests {
    /// xorshift64*: a fixed seed, so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static func mutate(_ seed: [UInt8], _ random: inout Random) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + random.below(4)) {
            switch random.below(4) {
            case 0 where !bytes.isEmpty: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count + 1))
            case 2 where !bytes.isEmpty: bytes.remove(at: random.below(bytes.count))
            default: bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
            }
        }
        return bytes
    }

    @Test func mutatedAdvertsNeverTrapAndRoundTrip() throws {
        var random = Random(state: 0x5348_464f_5652_5250)
        let source = IPAddress("192.168.1.10")!, destination = VRRPAdvertisement.multicastV4
        let seed = VRRPCodecTests.hex("3133640100640619c0a80164")
        var decoded = 0
        for _ in 0..<20_000 {
            let bytes = Self.mutate(seed, &random)
            guard let advert = try? VRRPAdvertisement(decoding: bytes, source: source, destination: destination, ttl: 255) else { continue }
            decoded += 1
            let again = try VRRPAdvertisement(decoding: try advert.encoded(source: source, destination: destination),
                                              source: source, destination: destination, ttl: 255)
            #expect(again == advert)
        }
        // Most mutations break the checksum; the ones that keep it (or only touch bytes past the addresses) decode.
        #expect(decoded > 0)
    }

    @Test func mutatedSyncMessagesNeverTrapAndRoundTrip() throws {
        var random = Random(state: 0x4950_5653_5359_4e43)
        let seed = IPVSSyncCodecTests.goldenTwo
        var decoded = 0
        for _ in 0..<20_000 {
            let bytes = Self.mutate(seed, &random)
            guard let message = try? IPVSSyncMessage(decoding: bytes) else { continue }
            decoded += 1
            #expect(try IPVSSyncMessage(decoding: try message.encoded()) == message)
        }
        #expect(decoded > 0)
    }
}
