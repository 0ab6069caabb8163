import ICP
import Testing

/// The server side: what each datagram gets back (RFC 2186 §2, RFC 2187 §4).
@Suite struct ICPAnswererTests {
    static func query(_ url: String = "http://o/a", number: UInt32 = 77, options: ICPOptions = []) -> [UInt8] {
        (try? ICPMessage(opcode: .query, requestNumber: number, url: url, options: options, requesterAddress: 0x7f00_0001).encoded()) ?? []
    }

    static func answered(_ outcome: ICPQueryAnswerer.Outcome) throws -> ICPMessage {
        guard case let .answer(bytes, opcode, _) = outcome else { throw AnswerMissing(outcome: "\(outcome)") }
        let message = try ICPMessage(decoding: bytes)
        #expect(message.opcode == opcode)
        return message
    }

    struct AnswerMissing: Error { var outcome: String }

    @Test func hitAndMissEchoTheRequestNumberAndURL() throws {
        let hit = try Self.answered(ICPQueryAnswerer.handle(Self.query(), conditions: .init()) { _ in .hit(object: nil) })
        #expect(hit.opcode == .hit && hit.requestNumber == 77 && hit.url == "http://o/a")
        let miss = try Self.answered(ICPQueryAnswerer.handle(Self.query(), conditions: .init()) { _ in .miss })
        #expect(miss.opcode == .miss && miss.requestNumber == 77)
    }

    @Test func deniedOutsideTheACLWithoutLookingUp() throws {
        var looked = false
        let reply = try Self.answered(ICPQueryAnswerer.handle(Self.query(), conditions: .init(allowed: false)) { _ in
            looked = true
            return .hit(object: nil)
        })
        #expect(reply.opcode == .denied)
        #expect(!looked)
    }

    @Test func missNoFetchWhileRefusingFetches() throws {
        let reply = try Self.answered(ICPQueryAnswerer.handle(Self.query(), conditions: .init(refusingFetches: true)) { _ in .miss })
        #expect(reply.opcode == .missNoFetch)
    }

    @Test func hitObjOnlyWhenAskedAndItFits() throws {
        let object = Array("HTTP/1.1 200 OK\r\n\r\nhi".utf8)
        let asked = try Self.answered(ICPQueryAnswerer.handle(Self.query(options: .hitObject), conditions: .init()) { _ in .hit(object: object) })
        #expect(asked.opcode == .hitObj && asked.object == object && asked.options.contains(.hitObject))
        let notAsked = try Self.answered(ICPQueryAnswerer.handle(Self.query(), conditions: .init()) { _ in .hit(object: object) })
        #expect(notAsked.opcode == .hit && notAsked.object.isEmpty)
        let big = [UInt8](repeating: 65, count: ICPMessage.maximumLength)
        let tooBig = try Self.answered(ICPQueryAnswerer.handle(Self.query(options: .hitObject), conditions: .init()) { _ in .hit(object: big) })
        #expect(tooBig.opcode == .hit)
    }

    @Test func sourceRTTAnsweredOnlyWhenAskedAndKnown() throws {
        let asked = try Self.answered(ICPQueryAnswerer.handle(Self.query(options: .sourceRTT),
                                                              conditions: .init(sourceRTTMilliseconds: 12)) { _ in .miss })
        #expect(asked.options.contains(.sourceRTT) && asked.optionData == 12)
        let unknown = try Self.answered(ICPQueryAnswerer.handle(Self.query(options: .sourceRTT), conditions: .init()) { _ in .miss })
        #expect(!unknown.options.contains(.sourceRTT))
    }

    @Test func echoesAreEchoed() throws {
        for opcode in [ICPOpcode.secho, .decho] {
            let bytes = try ICPMessage(opcode: opcode, requestNumber: 5, url: "http://o/").encoded()
            let reply = try Self.answered(ICPQueryAnswerer.handle(bytes, conditions: .init()) { _ in .miss })
            #expect(reply.opcode == opcode && reply.requestNumber == 5 && reply.url == "http://o/")
        }
    }

    @Test func repliesGoToTheClientSide() throws {
        for opcode in [ICPOpcode.hit, .miss, .err, .missNoFetch, .denied, .hitObj] {
            let message = ICPMessage(opcode: opcode, requestNumber: 3, url: "http://o/")
            let outcome = ICPQueryAnswerer.handle(try message.encoded(), conditions: .init()) { _ in .miss }
            #expect(outcome == .reply(message), "\(opcode)")
        }
    }

    @Test func version3QueryIsDroppedNotAnswered() {
        // Squid 5.7 crashes on exactly this datagram; Shoal drops it and counts it.
        var bytes = Self.query()
        bytes[1] = 3
        let outcome = ICPQueryAnswerer.handle(bytes, conditions: .init()) { _ in .miss }
        #expect(outcome == .drop(.unsupportedVersion(3)))
        var counters = ICPCounters()
        if case let .drop(error) = outcome { counters.drop(error) }
        #expect(counters.dropped == ["version": 1])
    }

    @Test func headerErrorsAreDropped() {
        let valid = Self.query()
        #expect(ICPQueryAnswerer.handle(valid.prefix(10), conditions: .init()) { _ in .miss } == .drop(.shorterThanHeader(10)))
        #expect(ICPQueryAnswerer.handle(valid + [0], conditions: .init()) { _ in .miss }
            == .drop(.lengthMismatch(field: valid.count, datagram: valid.count + 1)))
    }

    @Test func badPayloadOrUnknownOpcodeIsAnsweredErr() throws {
        var unterminated = Self.query()
        unterminated[unterminated.count - 1] = UInt8(ascii: "x")
        let err = try Self.answered(ICPQueryAnswerer.handle(unterminated, conditions: .init()) { _ in .miss })
        #expect(err.opcode == .err && err.requestNumber == 77)
        for opcode: UInt8 in [0, 5, 9, 12, 20, 24, 255] {
            var bytes = Self.query()
            bytes[0] = opcode
            let reply = try Self.answered(ICPQueryAnswerer.handle(bytes, conditions: .init()) { _ in .miss })
            #expect(reply.opcode == .err, "opcode \(opcode)")
        }
    }

    @Test func opcodeLabels() {
        #expect(ICPOpcode.allCases.map(\.label) == ["invalid", "query", "hit", "miss", "err", "secho", "decho", "miss_nofetch", "denied", "hit_obj"])
    }
}
