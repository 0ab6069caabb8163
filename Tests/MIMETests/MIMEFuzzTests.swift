import MIME
import Testing
import ShoalTestFixtures

/// Bounded randomized robustness: mutated real messages never trap, and every range lies in the message.
@Suite(.offCooperativePool) struct MIMEFuzzTests {
    /// SplitMix64: a fixed seed gives the same run everywhere.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let tokens: [[UInt8]] = ["\r\n", "\n", "--", "--b1", "--outer--", "--XX", "=?", "?=", "\"", "(", ")", "<", ">", ";",
                                    ":", "@", ",", "\\", "*0*=", "''", "%", "Content-Type: multipart/mixed; boundary=b1\r\n\r\n",
                                    "Content-Type: message/rfc822\r\n\r\n", "\r\n\r\n", " ", "\t", "\u{0}"].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where position < bytes.count: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1 where position < bytes.count: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...40, using: &random)))
            case 2: bytes.insert(contentsOf: tokens.randomElement(using: &random) ?? [], at: position)
            case 3: bytes = Array(bytes.prefix(position))
            default:
                let start = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
                let chunk = bytes[start..<min(bytes.count, start + Int.random(in: 0...200, using: &random))]
                bytes.insert(contentsOf: Array(chunk), at: min(position, bytes.count))
            }
        }
        return bytes
    }

    static func checkInvariants(_ message: MIMEMessage) {
        let whole = 0...message.bytes.count
        for (index, part) in message.parts.enumerated() {
            #expect(whole.contains(part.headerRange.lowerBound) && whole.contains(part.headerRange.upperBound))
            #expect(whole.contains(part.bodyRange.lowerBound) && whole.contains(part.bodyRange.upperBound))
            #expect(part.headerRange.upperBound == part.bodyRange.lowerBound)
            #expect(part.bodyLines >= 0 && part.bodyBareLineFeeds >= 0 && part.bodyBareLineFeeds <= part.bodyLines)
            for child in part.children {
                #expect(message.parts[child].parent == index)
                #expect(message.parts[child].headerRange.lowerBound >= part.bodyRange.lowerBound)
                #expect(message.parts[child].bodyRange.upperBound <= part.bodyRange.upperBound)
            }
        }
        _ = message.bodyStructure()
        _ = message.bodyStructure(extended: false)
        _ = message.envelope.imapBytes
        for path in [[], [1], [2], [1, 1], [2, 1], [2, 2], [3]] {
            for text: MessageSection.Text? in [nil, .header, .text, .mime, .headerFields(["Subject"]), .headerFieldsNot(["From"])] {
                _ = message.bytes(of: MessageSection(path: path, text: text))
            }
        }
    }

    @Test func mutatedSamplesKeepEveryRangeInTheMessage() {
        var random = SeededGenerator(state: 0x5EED_0F_F00D)
        let samples = DovecotSamples.all.map(\.message) + [MIMETreeTests.nested]
        for iteration in 0..<3_000 {
            let base = samples[iteration % samples.count]
            let message = MIMEMessage.parse(Self.mutate(base, using: &random), limits: MIMELimits(maximumDepth: 8, maximumParts: 50))
            Self.checkInvariants(message)
        }
    }

    @Test func randomBytesNeverTrap() {
        var random = SeededGenerator(state: 42)
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0...600, using: &random)).map { _ in
                Bool.random(using: &random) ? UInt8.random(in: 0...255, using: &random) : Array("-\r\n:;=\"b".utf8).randomElement(using: &random) ?? 0
            }
            Self.checkInvariants(MIMEMessage.parse(bytes))
        }
    }
}
