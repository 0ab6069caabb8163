import IMAPServer
import NIOCore
import Testing

/// Mutated valid lines never crash the parser: each gives a command or a BAD carrying the tag it had.
@Suite struct ParserFuzzTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds = [
        "a1 LOGIN alice \"p w\"", "a2 SELECT INBOX (QRESYNC (1 2 1:5 (1:3 10:12)))", "a3 LIST (SUBSCRIBED) \"\" (INBOX* %) RETURN (CHILDREN STATUS (MESSAGES))",
        "a4 UID SEARCH RETURN (MIN MAX) CHARSET UTF-8 OR (SEEN FLAGGED) NOT (UID 1:* SINCE 1-Feb-1994) HEADER X-A \"b\"",
        "a5 FETCH 1:*,4 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (FROM TO)]<0.100> BINARY[1] RFC822.SIZE) (CHANGEDSINCE 5)",
        "a6 UID STORE 1,3 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen $Junk)", "a7 SORT (REVERSE DATE) UTF-8 ALL", "a8 THREAD REFERENCES UTF-8 TEXT x",
        "a9 STATUS INBOX (MESSAGES UIDNEXT)", "b1 ID (\"name\" NIL)", "b2 CREATE x (USE (\\Sent))", "b3 ENABLE QRESYNC", "b4 AUTHENTICATE PLAIN =",
        "b5 UID EXPUNGE 1:3", "b6 APPEND INBOX (\\Seen) \" 1-Jan-2000 00:00:00 +0000\" {0}\r\n",
    ]
    static let alphabet = Array("() {}[]<>\"\\*%$:,.+-~0123456789AZaz\r\n\0\u{7F}".utf8) + [0xC3, 0xFF]

    @Test func mutatedLinesNeverCrash() {
        var random = SplitMix(state: 0x5EED)
        var parsed = 0, refused = 0
        for iteration in 0..<4000 {
            var bytes = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(Self.alphabet.randomElement(using: &random)!, at: position)
                case 2 where position < bytes.count: bytes[position] = Self.alphabet.randomElement(using: &random)!
                default: bytes.insert(contentsOf: bytes[position...].prefix(8), at: position)
                }
            }
            let tagEnd = bytes.firstIndex(of: UInt8(ascii: " ")) ?? bytes.endIndex
            let tag = String(decoding: bytes[..<tagEnd], as: UTF8.self)
            switch IMAPCommand.parse(text: bytes, literals: [ByteBuffer()]) {
            case let .success(command):
                parsed += 1
                #expect(command.tag == tag)
            case let .failure(error):
                refused += 1
                if let errorTag = error.tag { #expect(errorTag == tag) }
                if !tag.isEmpty, tag.utf8.count <= 64, tag.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"(){%*\"\\+".utf8.contains($0) }) {
                    #expect(error.tag == tag, "\(String(decoding: bytes, as: UTF8.self))")
                }
                #expect(error.response.rendered.hasSuffix("\r\n"))
            }
            // The same bytes through the assembler as one line: never a crash either.
            var assembler = IMAPCommandAssembler()
            _ = assembler.receive(line: ByteBuffer(bytes: bytes.filter { $0 != 0x0D && $0 != 0x0A }))
        }
        #expect(parsed + refused == 4000)
        #expect(parsed > 100)
        #expect(refused > 1000)
    }
}
