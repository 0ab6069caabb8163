import NIOCore
import ShoalCore

/// A client's bytes before its login, cut for the pure session as it asks: CR LF lines (capped by the strict
/// decoder), or the octets of an IMAP literal. Both engines' drivers (`MailProxyFrontend`, `MailEpollSession`)
/// keep one per connection.
struct MailClientInput {
    private var decoder: CRLFLineDecoder
    private let maximumLineLength: Int
    /// Bytes received and not cut yet.
    private(set) var buffer: ByteBuffer?

    init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
        decoder = CRLFLineDecoder(maximumLineLength: maximumLineLength)
    }

    var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    mutating func append(_ incoming: inout ByteBuffer) {
        if var pending = buffer.take() {
            pending.writeBuffer(&incoming)
            buffer = pending
        } else {
            buffer = incoming
        }
    }

    /// The next line or literal chunk for `session`, nil until a whole one is buffered.
    mutating func next(for session: any MailProxySession) -> MailProxyEvent? {
        guard var input = buffer.take(), input.readableBytes > 0 else { return nil }
        if case let .chunk(remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
        let item = decoder.decode(buffer: &input)
        buffer = input.readableBytes > 0 ? input : nil
        switch item {
        case nil: return nil
        case let .line(line): return .line(line)
        case .tooLong: return .lineTooLong
        case let .chunk(chunk): return .chunk(chunk)
        }
    }

    /// What is buffered and not cut (passed to the node after the splice), leaving nothing.
    mutating func takeBuffered() -> ByteBuffer? { buffer.take() }

    /// Forgets what is buffered and starts a fresh decoder (STARTTLS: pipelined plaintext is dropped).
    mutating func reset() {
        buffer = nil
        decoder = CRLFLineDecoder(maximumLineLength: maximumLineLength)
    }
}
