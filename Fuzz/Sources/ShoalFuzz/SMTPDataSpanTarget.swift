import Directory
import NIOCore
import ShoalCore
import SMTPServer

/// DATA in spans (`MessageLineSpan` + `SMTPDataSpan`, as the line driver feeds a session in `.messageLines`
/// mode) against the same bytes fed line by line: the same replies, the same message and 8-bit flag.
///
/// Input: byte 0 picks the maximum line length, byte 1 the read size; the rest is what the client sends after
/// DATA (message, dot line, further commands).
enum SMTPDataSpanTarget {
    static func configuration(maximumLineLength: Int) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(
            hostname: "mx.fuzz.test", maximumMessageSize: 4096, maximumErrors: 1000, maximumLineLength: maximumLineLength,
            localDomains: ["fuzz.test"], now: { SMTPTimestamp(secondsSince1970: 1_700_000_000) }, makeID: { "FUZZ00000001" })
    }

    static func run(_ data: [UInt8]) {
        guard data.count >= 2 else { return }
        let maximum = 8 + Int(data[0])
        let readSize = 1 + Int(data[1] % 97)
        let stream = Array(data.dropFirst(2))
        let byLines = feed(stream, maximum: maximum, readSize: readSize, spans: false)
        let bySpans = feed(stream, maximum: maximum, readSize: readSize, spans: true)
        invariant(byLines.replies == bySpans.replies, "replies differ: \(byLines.replies) vs \(bySpans.replies)")
        invariant(byLines.messages == bySpans.messages, "delivered messages differ")
    }

    /// The session after DATA, fed `stream` in reads of `readSize` bytes, as the driver does in either mode.
    static func feed(_ stream: [UInt8], maximum: Int, readSize: Int, spans: Bool) -> (replies: [String], messages: [[UInt8]]) {
        var session = SMTPSession(configuration: configuration(maximumLineLength: maximum), peer: "192.0.2.1", secure: false)
        var replies: [String] = []
        var messages: [[UInt8]] = []
        func take(_ actions: [SMTPAction]) {
            for action in actions {
                switch action {
                case let .reply(reply): replies.append(reply.rendered())
                case let .checkRecipient(address, _):
                    take(session.receive(.recipientChecked(.local(DirectoryUser(login: "u", addresses: [address])))))
                case let .deliver(envelope):
                    messages.append(Array(envelope.message.readableBytesView) + [envelope.containsEightBitData ? 1 : 0])
                    take(session.receive(.delivered(envelope.recipients.map { _ in .delivered })))
                default: break
                }
            }
        }
        take(session.start())
        for command in ["EHLO c", "MAIL FROM:<a@b.test>", "RCPT TO:<x@fuzz.test>", "DATA"] {
            take(session.receive(.line(ByteBuffer(string: command))))
        }
        var decoder = CRLFLineDecoder(maximumLineLength: maximum)
        var buffer = ByteBuffer()
        var offset = 0
        while offset < stream.count, !session.isClosed {
            let end = min(stream.count, offset + readSize)
            buffer.writeBytes(stream[offset..<end])
            offset = end
            while buffer.readableBytes > 0, !session.isClosed, !session.isWaiting {
                let input: SMTPInput
                if case let .chunk(remaining) = session.inputMode {
                    decoder.pendingChunk = remaining
                    guard let item = decoder.decode(buffer: &buffer) else { break }
                    input = SMTPInput(item)
                } else if spans, case .messageLines = session.inputMode, !decoder.isDiscarding,
                          let span = MessageLineSpan.take(from: &buffer) {
                    decoder.bufferWasConsumed()
                    input = .lines(span)
                } else {
                    decoder.pendingChunk = 0
                    guard let item = decoder.decode(buffer: &buffer) else { break }
                    input = SMTPInput(item)
                }
                take(session.receive(input))
            }
            buffer.discardReadBytes()
        }
        return (replies, messages)
    }
}
