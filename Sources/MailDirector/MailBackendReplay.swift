import NIOCore
import ShoalCore

/// The node side of a login replay, pure: the node's bytes cut into lines (capped) for the
/// `MailBackendConversation`, the lines to send back, and the result with what the node sent after it. Both
/// engines' node sides (`MailBackendLoginHandler`, `MailEpollSession`) keep one per login.
struct MailBackendReplay {
    /// What one read of the node's bytes gave: lines to send to the node (in order), and the result once there is one.
    struct Progress {
        var send: [String] = []
        var result: MailBackendOutcome?
    }

    private var conversation: any MailBackendConversation
    private var decoder = CRLFLineDecoder(maximumLineLength: 8192)
    private var buffer: ByteBuffer?

    init(_ conversation: any MailBackendConversation) { self.conversation = conversation }

    /// The lines to send at once (pipelined behind the connect).
    mutating func start() -> [String] { conversation.start() }

    /// Feeds bytes the node sent. A line over the cap, or a literal, ends the replay as unavailable.
    mutating func receive(_ incoming: inout ByteBuffer) -> Progress {
        var progress = Progress()
        if var pending = buffer.take() {
            pending.writeBuffer(&incoming)
            incoming = pending
        }
        while let item = decoder.decode(buffer: &incoming) {
            switch item {
            case let .line(line):
                switch conversation.receive(String(decoding: line.readableBytesView, as: UTF8.self)) {
                case let .send(lines):
                    progress.send += lines
                case let .finished(result):
                    progress.result = MailBackendOutcome(result: result, leftover: incoming.readableBytes > 0 ? incoming : nil)
                    return progress
                }
            case .tooLong, .chunk:
                progress.result = MailBackendOutcome(result: .unavailable, leftover: nil)
                return progress
            }
        }
        buffer = incoming.readableBytes > 0 ? incoming : nil
        return progress
    }
}
