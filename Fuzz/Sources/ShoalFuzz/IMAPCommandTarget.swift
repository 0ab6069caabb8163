import IMAPServer
import NIOCore

/// IMAP input through the command assembler (lines and literals under its limits) and the parser: never a
/// trap or a hang, literal sizes are honoured exactly, and every rejection carries a BAD/NO response.
enum IMAPCommandTarget {
    static func run(_ data: [UInt8]) {
        var assembler = IMAPCommandAssembler(limits: .init(maximumLiteralSize: 4096, maximumMessageSize: 65536, maximumLiteralCount: 8))
        var input = data[...]
        var steps = 0
        while !input.isEmpty && steps < 1000 {
            steps += 1
            let wanted = assembler.pendingLiteralOctets
            if wanted > 0 {
                let chunk = input.prefix(wanted)
                input = input.dropFirst(chunk.count)
                _ = assembler.receive(literal: ByteBuffer(bytes: chunk))
                continue
            }
            let end = input.firstIndex(of: 0x0A) ?? input.endIndex
            var line = Array(input[input.startIndex..<end])
            input = end < input.endIndex ? input[input.index(after: end)...] : input[input.endIndex...]
            if line.last == 0x0D { line.removeLast() }
            switch assembler.receive(line: ByteBuffer(bytes: line)) {
            case let .rejected(error):
                invariant(error.status == .bad || error.status == .no, "a rejection that is neither BAD nor NO")
                if error.closeConnection { return }
            case let .needLiteral(octets, _):
                invariant(octets == assembler.pendingLiteralOctets || octets == 0, "the literal asked for is not the one pending")
            default:
                break
            }
        }
        _ = IMAPCommand.parse(String(decoding: data.prefix(2048), as: UTF8.self))
    }
}
