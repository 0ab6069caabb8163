import NIOCore
import ShoalCore
import Testing
import ShoalTestFixtures

/// Feeds `input` to a fresh decoder through NIO's own `NIOSingleStepByteToMessageProcessor`, split at `cuts`,
/// then signals EOF; returns the outputs. `maximumBufferSize` makes the processor throw if the decoder ever
/// lets unconsumed input pile up beyond it.
private func decode(_ input: [UInt8], cuts: [Int], maximumLineLength: Int,
                    maximumBufferSize: Int? = nil) throws -> [CRLFLineDecoder.Line] {
    let processor = NIOSingleStepByteToMessageProcessor(
        CRLFLineDecoder(maximumLineLength: maximumLineLength), maximumBufferSize: maximumBufferSize)
    var out: [CRLFLineDecoder.Line] = []
    var start = 0
    for cut in cuts + [input.count] where cut >= start {
        try processor.process(buffer: ByteBuffer(bytes: input[start..<cut])) { out.append($0) }
        start = cut
    }
    try processor.finishProcessing(seenEOF: true) { out.append($0) }
    return out
}

/// Readable form of decoder outputs.
private func show(_ lines: [CRLFLineDecoder.Line]) -> [String] {
    lines.map {
        switch $0 {
        case let .line(buffer): return String(decoding: buffer.readableBytesView, as: UTF8.self)
        case .tooLong: return "<too long>"
        case let .chunk(buffer): return "<chunk \(String(decoding: buffer.readableBytesView, as: UTF8.self))>"
        }
    }
}

/// Small deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The chunkings `ByteToMessageDecoderVerifier` uses, and more: all at once, one byte at a time, every single
/// split point, every pair of split points (short inputs), and random chunkings. All must give `expected`.
/// (NIOTestUtils is not a dependency of this test target, so this drives NIO's own
/// `NIOSingleStepByteToMessageProcessor`, which is what `ByteToMessageHandler` does too.)
private func verify(_ input: String, _ expected: [String], maximumLineLength: Int = 1000,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    let bytes = Array(input.utf8)
    var chunkings: [[Int]] = [[], Array(0..<bytes.count)]
    // Every split point of short inputs; of long ones a sample (each run is linear in the input).
    for a in stride(from: 0, through: bytes.count, by: bytes.count <= 2000 ? 1 : 61) { chunkings.append([a]) }
    if bytes.count <= 40 {
        for a in 0...bytes.count { for b in a...bytes.count { chunkings.append([a, b]) } }
    }
    var rng = SplitMix64(seed: UInt64(bytes.count))
    for _ in 0..<50 {
        var cuts: [Int] = []
        var at = 0
        while at < bytes.count {
            at += Int.random(in: 1...max(1, min(bytes.count, 7)), using: &rng)
            cuts.append(min(at, bytes.count))
        }
        chunkings.append(cuts)
    }
    for cuts in chunkings {
        let got = show(try decode(bytes, cuts: cuts, maximumLineLength: maximumLineLength))
        #expect(got == expected, "cuts \(cuts)", sourceLocation: sourceLocation)
        if got != expected { return }
    }
}

@Suite(.offCooperativePool) struct CRLFLineDecoderTests {
    @Test func splitsAtCRLFOnlyInEveryChunking() throws {
        try verify("HELO a\r\nMAIL FROM:<x@y>\r\n", ["HELO a", "MAIL FROM:<x@y>"])
        try verify("\r\n\r\nx\r\n", ["", "", "x"])
        try verify("", [])
    }

    @Test func bareLFAndBareCRStayInTheLine() throws {
        try verify("a\nb\r\n", ["a\nb"])
        try verify("a\rb\r\n", ["a\rb"])
        try verify("a\r\r\n", ["a\r"])
        try verify("\n\r\n", ["\n"])
        try verify("\n.\n\r\n.\r\n", ["\n.\n", "."])  // no smuggled end of data
        try verify("x\n\r\r\n", ["x\n\r"])
    }

    @Test func unterminatedLastLineIsDroppedAtEOF() throws {
        try verify("QUIT", [])
        try verify("NOOP\r\nQUIT\r", ["NOOP"])
    }

    @Test func maximumLengthCountsTheCRLF() throws {
        try verify("12345678\r\n", ["12345678"], maximumLineLength: 10)
        try verify("123456789\r\n", ["<too long>"], maximumLineLength: 10)
        try verify("1234567890\r\n", ["<too long>"], maximumLineLength: 10)
        try verify("12345678\r\n123456789\r\nok\r\n", ["12345678", "<too long>", "ok"], maximumLineLength: 10)
        // A CR at the very edge of the limit whose LF arrives later.
        try verify("123456789\r\n", ["<too long>"], maximumLineLength: 10)
        try verify("12345678\r\r\nok\r\n", ["<too long>", "ok"], maximumLineLength: 10)
        try verify("12345678\n\r\nok\r\n", ["<too long>", "ok"], maximumLineLength: 10)
    }

    @Test func tooLongThenRecovery() throws {
        let long = String(repeating: "x", count: 1500)
        try verify("a\r\n\(long)\r\nb\r\n", ["a", "<too long>", "b"])
        try verify("\(long)\r\(long)\n\(long)\r\n.\r\n", ["<too long>", "."])
        try verify("\(long)", [])  // never ended: nothing
        #expect(CRLFLineDecoder().maximumLineLength == 1000)
        #expect(CRLFLineDecoder(maximumLineLength: 0).maximumLineLength == 2)
    }

    @Test func exactlyTheDefaultLimit() throws {
        let ok = String(repeating: "a", count: 998)
        try verify("\(ok)\r\n", [ok])
        try verify("\(ok)a\r\n", ["<too long>"])
    }

    @Test func crAtTheEndOfABufferWaitsForItsLF() throws {
        var decoder = CRLFLineDecoder()
        var buffer = ByteBuffer(string: "abc\r")
        #expect(decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readableBytes == 4)
        buffer.writeString("\nxyz\r\n")
        #expect(decoder.decode(buffer: &buffer) == .line(ByteBuffer(string: "abc")))
        #expect(decoder.decode(buffer: &buffer) == .line(ByteBuffer(string: "xyz")))
        #expect(decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readableBytes == 0)

        // The same while discarding an over-long line.
        var small = CRLFLineDecoder(maximumLineLength: 5)
        var more = ByteBuffer(string: "1234567\r")
        #expect(small.decode(buffer: &more) == nil)
        #expect(small.isDiscarding)
        #expect(more.readableBytes == 0)  // dropped as it comes
        more.writeString("\nok\r\n")
        #expect(small.decode(buffer: &more) == .tooLong)
        #expect(small.decode(buffer: &more) == .line(ByteBuffer(string: "ok")))
    }

    @Test func memoryStaysBoundedOnEndlessLines() throws {
        // A megabyte without CR LF in 1 KiB reads: the processor would throw if the buffer grew past 4 KiB.
        var input = [UInt8](repeating: UInt8(ascii: "z"), count: 1 << 20)
        input += Array("\r\nend\r\n".utf8)
        let cuts = Array(stride(from: 1024, to: input.count, by: 1024))
        let got = try decode(input, cuts: cuts, maximumLineLength: 1000, maximumBufferSize: 4096)
        #expect(show(got) == ["<too long>", "end"])
    }

    @Test func chunkModePassesRawBytes() {
        var decoder = CRLFLineDecoder()
        var buffer = ByteBuffer(string: "BDAT 9 LAST\r\n.a\r\n")
        #expect(decoder.decode(buffer: &buffer) == .line(ByteBuffer(string: "BDAT 9 LAST")))
        decoder.pendingChunk = 9
        #expect(decoder.decode(buffer: &buffer) == .chunk(ByteBuffer(string: ".a\r\n")))
        #expect(decoder.pendingChunk == 5)
        #expect(decoder.decode(buffer: &buffer) == nil)
        buffer.writeString(".\r\n\nxNOOP\r\n")
        #expect(decoder.decode(buffer: &buffer) == .chunk(ByteBuffer(string: ".\r\n\nx")))
        #expect(decoder.pendingChunk == 0)
        #expect(decoder.decode(buffer: &buffer) == .line(ByteBuffer(string: "NOOP")))
    }

    @Test func chunkModeAfterAPartialLineScanStartsClean() {
        var decoder = CRLFLineDecoder()
        var buffer = ByteBuffer(string: "abcdef")
        #expect(decoder.decode(buffer: &buffer) == nil)  // scanned 6 bytes
        decoder.pendingChunk = 4
        #expect(decoder.decode(buffer: &buffer) == .chunk(ByteBuffer(string: "abcd")))
        buffer.writeString("\r\n")
        #expect(decoder.decode(buffer: &buffer) == .line(ByteBuffer(string: "ef")))
    }

    @Test func chunkModeAtEOFGivesWhatArrived() {
        var decoder = CRLFLineDecoder()
        decoder.pendingChunk = 10
        var buffer = ByteBuffer(string: "abc")
        #expect(decoder.decodeLast(buffer: &buffer, seenEOF: true) == .chunk(ByteBuffer(string: "abc")))
        #expect(decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
        decoder.pendingChunk = -3
        #expect(decoder.pendingChunk == 0)
    }

    @Test func randomGarbageNeverCrashesAndAgreesAcrossChunkings() throws {
        var rng = SplitMix64(seed: 42)
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x2E, 0x00, 0xFF, 0x41, 0x20]
        for round in 0..<200 {
            let length = Int.random(in: 0...300, using: &rng)
            let input: [UInt8] = (0..<length).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            let limit = Int.random(in: 2...40, using: &rng)
            let whole = try decode(input, cuts: [], maximumLineLength: limit)
            var cuts: [Int] = []
            var at = 0
            while at < input.count {
                at += Int.random(in: 1...9, using: &rng)
                cuts.append(min(at, input.count))
            }
            let pieces = try decode(input, cuts: cuts, maximumLineLength: limit)
            #expect(whole == pieces, "round \(round)")
            let bytewise = try decode(input, cuts: Array(0..<input.count), maximumLineLength: limit)
            #expect(whole == bytewise, "round \(round)")
            for case let .line(line) in whole {
                #expect(line.readableBytes <= limit - 2)
                let view = Array(line.readableBytesView)
                #expect(!zip(view, view.dropFirst()).contains { $0 == 0x0D && $1 == 0x0A })
            }
        }
    }
}

