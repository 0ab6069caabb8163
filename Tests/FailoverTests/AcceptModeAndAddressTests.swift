import Failover
import Foundation
import ShoalCore
import Testing

/// The pure parts of Accept_Mode (which instances filter, the nftables batches) and of the rtnetlink requests
/// that add and remove virtual addresses (the bytes `ip addr add|del` sends).
@Suite struct AcceptModeAndAddressTests {
    static func instance(priority: UInt8, acceptMode: Bool) -> VRRPInstanceConfiguration {
        VRRPInstanceConfiguration(name: "VI_1", interface: "eth0", virtualRouterID: 51, priority: priority, advertisementInterval: 100,
                                  virtualAddresses: [VirtualAddress("10.0.0.100/24")!], acceptMode: acceptMode)
    }

    @Test func onlyANonOwnerWithoutAcceptModeFilters() {
        // RFC 5798 §6.4.3: the address owner (255) always accepts; others only with Accept_Mode.
        #expect(Self.instance(priority: 100, acceptMode: false).filtersVirtualAddresses)
        #expect(Self.instance(priority: 254, acceptMode: false).filtersVirtualAddresses)
        #expect(!Self.instance(priority: 255, acceptMode: false).filtersVirtualAddresses)
        #expect(!Self.instance(priority: 100, acceptMode: true).filtersVirtualAddresses)
        #expect(!Self.instance(priority: 255, acceptMode: true).filtersVirtualAddresses)
    }

    static func commands(_ batch: String) throws -> [[String: Any]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(batch.utf8)) as? [String: Any])
        return try #require(document["nftables"] as? [[String: Any]])
    }

    @Test func ipv4FilterDropsTheAddressesInItsOwnTable() throws {
        let filter = VirtualAddressFilter(interface: "eth0.10", virtualRouterID: 51, addresses: [IPAddress("10.0.0.100")!, IPAddress("10.0.0.101")!])
        #expect(filter.table == "shoal_vrrp_eth0_10_51")
        let commands = try Self.commands(filter.installBatch)
        // Replace whole: add (a no-op if present), delete, add; then the input chain and one drop rule.
        #expect(commands.map { $0.keys.first ?? "" } == ["add", "delete", "add", "add", "add"])
        let chain = try #require((commands[3]["add"] as? [String: Any])?["chain"] as? [String: Any])
        #expect(chain["hook"] as? String == "input" && chain["type"] as? String == "filter" && chain["policy"] as? String == "accept")
        let rule = try #require((commands[4]["add"] as? [String: Any])?["rule"] as? [String: Any])
        let expressions = try #require(rule["expr"] as? [[String: Any]])
        #expect(expressions.count == 2 && expressions[1].keys.first == "drop")
        let match = try #require(expressions[0]["match"] as? [String: Any])
        #expect(((match["right"] as? [String: Any])?["set"] as? [String]) == ["10.0.0.100", "10.0.0.101"])
        #expect(((match["left"] as? [String: Any])?["payload"] as? [String: String]) == ["protocol": "ip", "field": "daddr"])
        let removal = try Self.commands(filter.removeBatch)
        #expect(removal.map { $0.keys.first ?? "" } == ["add", "delete"])
    }

    @Test func ipv6FilterLetsNeighbourDiscoveryThrough() throws {
        let filter = VirtualAddressFilter(interface: "eth0", virtualRouterID: 7, addresses: [IPAddress("fd00::100")!])
        let commands = try Self.commands(filter.installBatch)
        #expect(commands.count == 6)
        let accept = try #require(((commands[4]["add"] as? [String: Any])?["rule"] as? [String: Any])?["expr"] as? [[String: Any]])
        let drop = try #require(((commands[5]["add"] as? [String: Any])?["rule"] as? [String: Any])?["expr"] as? [[String: Any]])
        #expect(accept.last?.keys.first == "accept" && drop.last?.keys.first == "drop")
        let types = ((accept[1]["match"] as? [String: Any])?["right"] as? [String: Any])?["set"] as? [String]
        #expect(types == ["nd-neighbor-solicit", "nd-neighbor-advert"])
    }

    @Test func addRequestIsWhatIpAddrAddSends() {
        // ip -4 addr add 10.0.0.100/24 dev <index 3>: RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, ifaddrmsg, IFA_LOCAL, IFA_ADDRESS.
        let request = InterfaceAddressRequest(add: true, address: VirtualAddress("10.0.0.100/24")!, interface: "eth0", interfaceIndex: 3)
        let bytes = request.bytes(sequence: 0x0102_0304)
        #expect(bytes == [40, 0, 0, 0, 20, 0, 0x05, 0x06, 4, 3, 2, 1, 0, 0, 0, 0,
                          2, 24, 0, 0, 3, 0, 0, 0,
                          8, 0, 2, 0, 10, 0, 0, 100,
                          8, 0, 1, 0, 10, 0, 0, 100])
        #expect(request.commandLine == "ip addr add 10.0.0.100/24 dev eth0")
    }

    @Test func ipv6AddCarriesNoDADAndDeleteAsksNoCreate() {
        let add = InterfaceAddressRequest(add: true, address: VirtualAddress("fd00::100/64")!, interface: "eth0", interfaceIndex: 0x0201)
        let bytes = add.bytes(sequence: 1)
        #expect(bytes.count == 16 + 8 + 2 * 20)
        #expect(Array(bytes[16..<24]) == [10, 64, 0x02, 0, 1, 2, 0, 0])
        #expect(Array(bytes[24..<28]) == [20, 0, 2, 0] && Array(bytes[28..<44]) == [0xfd] + [UInt8](repeating: 0, count: 13) + [1, 0])
        let delete = InterfaceAddressRequest(add: false, address: VirtualAddress("fd00::100/64")!, interface: "eth0", interfaceIndex: 0x0201)
        let deleted = delete.bytes(sequence: 1)
        #expect(Array(deleted[4..<8]) == [21, 0, 0x05, 0])  // RTM_DELADDR, REQUEST|ACK
        #expect(Array(deleted[16..<24]) == [10, 64, 0, 0, 1, 2, 0, 0])
    }
}
