import Failover
import ShoalCore
import Testing

/// Tracking arithmetic, rise/fall counting, announcement bytes and virtual address text.
@Suite struct FailoverPureTests {
    @Test func trackingFollowsKeepalivedsWeights() {
        typealias Item = TrackedState.Item
        #expect(TrackedState(items: [Item(weight: nil, fine: true)]).fault == false)
        #expect(TrackedState(items: [Item(weight: nil, fine: false)]).fault == true)
        let weighted = TrackedState(items: [Item(weight: -30, fine: false), Item(weight: -20, fine: true), Item(weight: 10, fine: true),
                                            Item(weight: 5, fine: false)])
        #expect(weighted.fault == false)
        #expect(weighted.adjustment == -30 + 10)
    }

    @Test func riseAndFallNeedRunsOfResults() {
        var counter = RiseFallCounter(rise: 2, fall: 3)
        #expect(counter.fine)
        counter.record(success: false)
        counter.record(success: false)
        #expect(counter.fine)
        counter.record(success: true)  // breaks the run
        counter.record(success: false)
        counter.record(success: false)
        counter.record(success: false)
        #expect(!counter.fine)
        counter.record(success: true)
        #expect(!counter.fine)
        counter.record(success: true)
        #expect(counter.fine)
    }

    static let mac: [UInt8] = [0x02, 0x00, 0x5e, 0x00, 0x01, 0x33]

    @Test func gratuitousARPIsARequestFromAndForTheVIP() {
        let bytes = AddressAnnouncement.gratuitousARP(hardwareAddress: Self.mac, address: IPAddress("10.220.0.100")!)
        #expect(bytes == [0, 1, 8, 0, 6, 4, 0, 1] + Self.mac + [10, 220, 0, 100] + [255, 255, 255, 255, 255, 255] + [10, 220, 0, 100])
    }

    @Test func unsolicitedNeighborAdvertisementOverrides() {
        let bytes = AddressAnnouncement.unsolicitedNeighborAdvertisement(hardwareAddress: Self.mac, target: IPAddress("fd00::100")!)
        #expect(bytes.count == 32)
        #expect(Array(bytes[0..<8]) == [136, 0, 0, 0, 0x20, 0, 0, 0])
        #expect(Array(bytes[8..<24]) == [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])
        #expect(Array(bytes[24...]) == [2, 1] + Self.mac)
    }

    @Test func virtualAddressText() {
        #expect(VirtualAddress("10.0.0.1")?.description == "10.0.0.1/32")
        #expect(VirtualAddress("fd00::1/64")?.description == "fd00::1/64")
        #expect(VirtualAddress("10.0.0.1/") == nil)
        #expect(VirtualAddress("10.0.0.1/24/1") == nil)
        #expect(VirtualAddress("fd00::1/129") == nil)
        #expect(VirtualAddress("eth0") == nil)
    }

    @Test func internetChecksumOfKnownData() {
        // RFC 1071 §3's example words 0001 f203 f4f5 f6f7 sum to 0xddf2; the checksum is its complement.
        #expect(InternetChecksum.checksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]) == ~UInt16(0xddf2))
        #expect(InternetChecksum.checksum([0xff]) == ~UInt16(0xff00))
    }
}
