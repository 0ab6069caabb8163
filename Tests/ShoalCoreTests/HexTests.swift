import Foundation
import ShoalCore
import Testing

@Suite struct HexTests {
    /// Every byte value gives Foundation's `%02x`, in order.
    @Test func everyByteAsFoundationFormatsIt() {
        let bytes = (0...255).map(UInt8.init) + [0xde, 0xad, 0x00, 0x0f]
        #expect(Hex.lowercase(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.lowercase([UInt8]()) == "")
    }
}
