import NIOCore
import ShoalCore

/// `CRLFLineDecoder` on reads cut where the input says, with BDAT-style raw chunks: every line is within the
/// limit and holds no CR LF, and without an over-long line the outputs rebuild a prefix of the input.
///
/// Input: byte 0 picks the maximum line length, byte 1 the read size, the rest is the stream. A line
/// `BDAT n` switches the decoder to a raw chunk of n bytes, as the SMTP glue does.
enum CRLFDecoderTarget {
    static func run(_ data: [UInt8]) {
        guard data.count >= 2 else { return }
        let maximum = 2 + Int(data[0]) * 4
        let readSize = 1 + Int(data[1] % 64)
        let stream = Array(data.dropFirst(2))
        var decoder = CRLFLineDecoder(maximumLineLength: maximum)
        var buffer = ByteBuffer()
        var rebuilt: [UInt8] = []
        var sawTooLong = false

        func take(_ output: CRLFLineDecoder.Line) {
            switch output {
            case let .line(line):
                let bytes = Array(line.readableBytesView)
                invariant(bytes.count <= maximum - 2, "a line of \(bytes.count) bytes passed the limit \(maximum)")
                invariant(!zip(bytes, bytes.dropFirst()).contains { $0 == 0x0D && $1 == 0x0A }, "a line holds CR LF")
                rebuilt += bytes + [0x0D, 0x0A]
                if bytes.starts(with: Array("BDAT ".utf8)), let size = Int(String(decoding: bytes.dropFirst(5), as: UTF8.self)),
                   size >= 0, size < 1 << 20 {
                    decoder.pendingChunk = size
                }
            case .tooLong:
                sawTooLong = true
            case let .chunk(piece):
                invariant(piece.readableBytes > 0, "an empty chunk")
                rebuilt += piece.readableBytesView
            }
        }

        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + readSize)
            buffer.writeBytes(stream[offset..<end])
            offset = end
            while let output = decoder.decode(buffer: &buffer) { take(output) }
        }
        while let output = decoder.decodeLast(buffer: &buffer, seenEOF: true) { take(output) }
        invariant(buffer.readableBytes == 0, "decodeLast left \(buffer.readableBytes) bytes")
        if !sawTooLong {
            invariant(stream.starts(with: rebuilt), "the outputs do not rebuild the input")
        }
    }
}
