import ICP
import Testing

/// The RFC 2186 codec alone: round trips for every opcode and garbage that must be refused, never trap.
@Suite struct ICPCodecTests {
    @Test func roundTripsEveryOpcode() throws {
        for opcode in ICPOpcode.allCases where opcode != .invalid {
            let message = ICPMessage(opcode: opcode, requestNumber: 0xdead_beef, url: "http://cache.test/a?b=c",
                                     options: [.sourceRTT], optionData: 0x0000_0042, senderAddress: 0x7f00_0001,
                                     requesterAddress: opcode == .query ? 0x0a00_0001 : 0,
                                     object: opcode == .hitObj ? Array("object bytes".utf8) : [])
            let bytes = try message.encoded()
            #expect(Int(bytes[2]) << 8 | Int(bytes[3]) == bytes.count, "\(opcode)")
            #expect(try ICPMessage(decoding: bytes) == message, "\(opcode)")
        }
    }

    @Test func secheoRequestLayout() throws {
        let bytes = try ICPMessage(opcode: .secho, requestNumber: 0x0102_0304, url: "http://a/").encoded()
        #expect(bytes.count == 20 + 10)
        #expect(Array(bytes[0..<8]) == [10, 2, 0, 30, 1, 2, 3, 4])
        #expect(Array(bytes[8..<20]) == Array(repeating: 0, count: 12))
        #expect(bytes.last == 0)
    }

    @Test func queryCarriesTheRequesterAddressBeforeTheURL() throws {
        let bytes = try ICPMessage(opcode: .query, requestNumber: 7, url: "u", requesterAddress: 0xc0a8_0001).encoded()
        #expect(Array(bytes[20...]) == [192, 168, 0, 1, UInt8(ascii: "u"), 0])
    }

    @Test func encodingRefusesWhatCannotBeSent() {
        #expect(throws: ICPEncodingError.nulInURL) { try ICPMessage(opcode: .miss, requestNumber: 1, url: "a\u{0}b").encoded() }
        let long = String(repeating: "x", count: ICPMessage.maximumLength)
        #expect(throws: ICPEncodingError.tooLong(20 + long.count + 1)) { try ICPMessage(opcode: .miss, requestNumber: 1, url: long).encoded() }
    }

    static func valid() -> [UInt8] {
        (try? ICPMessage(opcode: .miss, requestNumber: 9, url: "http://a/").encoded()) ?? []
    }

    @Test func truncatedInputsAreRefused() {
        let bytes = Self.valid()
        for n in 0..<20 {
            #expect(throws: ICPDecodingError.shorterThanHeader(n)) { try ICPMessage(decoding: bytes.prefix(n)) }
        }
        for n in 20..<bytes.count {
            #expect(throws: ICPDecodingError.lengthMismatch(field: bytes.count, datagram: n)) { try ICPMessage(decoding: bytes.prefix(n)) }
        }
    }

    @Test func wrongLengthFieldsAreRefused() {
        var bytes = Self.valid()
        bytes[3] &+= 1
        #expect(throws: ICPDecodingError.lengthMismatch(field: bytes.count + 1, datagram: bytes.count)) { try ICPMessage(decoding: bytes) }
        var huge = Self.valid()
        huge[2] = 0xff
        huge[3] = 0xff
        #expect(throws: ICPDecodingError.lengthMismatch(field: 65535, datagram: huge.count)) { try ICPMessage(decoding: huge) }
        // A length field that matches a datagram over 16 KiB.
        var big = Self.valid() + Array(repeating: 0x41, count: 20_000)
        big[2] = UInt8(big.count >> 8)
        big[3] = UInt8(big.count & 0xff)
        #expect(throws: ICPDecodingError.tooLong(big.count)) { try ICPMessage(decoding: big) }
    }

    @Test func otherVersionsAndOpcodesAreRefused() {
        var v3 = Self.valid()
        v3[1] = 3
        #expect(throws: ICPDecodingError.unsupportedVersion(3)) { try ICPMessage(decoding: v3) }
        for opcode: UInt8 in [0, 5, 9, 12, 20, 24, 255] {
            var bytes = Self.valid()
            bytes[0] = opcode
            #expect(throws: ICPDecodingError.unknownOpcode(opcode)) { try ICPMessage(decoding: bytes) }
        }
    }

    @Test func malformedPayloadsAreRefused() throws {
        var unterminated = Self.valid()
        unterminated[unterminated.count - 1] = UInt8(ascii: "x")
        #expect(throws: ICPDecodingError.unterminatedURL) { try ICPMessage(decoding: unterminated) }
        // A query needs four bytes of requester address before its URL.
        let shortQuery: [UInt8] = [1, 2, 0, 22, 0, 0, 0, 1] + Array(repeating: 0, count: 12) + [0x61, 0]
        #expect(throws: ICPDecodingError.truncatedPayload(.query)) { try ICPMessage(decoding: shortQuery) }
        var badUTF8 = Self.valid()
        badUTF8[20] = 0xff
        #expect(throws: ICPDecodingError.invalidURL) { try ICPMessage(decoding: badUTF8) }
        var hitObj = try ICPMessage(opcode: .hitObj, requestNumber: 1, url: "u", object: [1, 2, 3]).encoded()
        hitObj[hitObj.count - 4] = 9  // object length low byte: 3 -> 9
        #expect(throws: ICPDecodingError.objectLengthMismatch(field: 9, available: 3)) { try ICPMessage(decoding: hitObj) }
        let noObjectLength = try ICPMessage(opcode: .miss, requestNumber: 1, url: "u").encoded()
        var asHitObj = noObjectLength
        asHitObj[0] = ICPOpcode.hitObj.rawValue
        #expect(throws: ICPDecodingError.truncatedPayload(.hitObj)) { try ICPMessage(decoding: asHitObj) }
    }

    /// Random bytes, and every single-byte corruption of a valid message, decode or fail without trapping.
    @Test func garbageNeverTraps() {
        var generator = SplitMix(seed: 2186)
        for _ in 0..<5000 {
            let count = Int(generator.next() % 64)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if count >= 4, generator.next() % 2 == 0 {
                bytes[1] = 2
                bytes[2] = UInt8(count >> 8)
                bytes[3] = UInt8(count & 0xff)
            }
            _ = try? ICPMessage(decoding: bytes)
        }
        let valid = Self.valid()
        for i in valid.indices {
            for value: UInt8 in [0, 1, 0x7f, 0xff] {
                var bytes = valid
                bytes[i] = value
                _ = try? ICPMessage(decoding: bytes)
            }
        }
    }
}

/// A small deterministic generator for the garbage test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
