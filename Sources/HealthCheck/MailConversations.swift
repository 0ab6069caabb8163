public import NIOCore
import ShoalCore

/// Reads strict CR LF lines for the mail checks, with a cap on line length and on lines per step.
struct MailLineReader: Sendable {
    var decoder = CRLFLineDecoder(maximumLineLength: 1000)

    /// The next complete line, `.tooLong`, or nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) -> CRLFLineDecoder.Line? { decoder.decode(buffer: &buffer) }
}

/// SMTP: the banner must be 220, then EHLO must get 250, then QUIT (keepalived SMTP_CHECK).
public struct SMTPConversation: StreamConversation {
    enum Phase: Sendable { case banner, ehlo, done }
    let heloName: String
    var phase = Phase.banner
    var reader = MailLineReader()
    /// Lines of the current multi-line reply so far.
    var replyLines = 0

    public init(heloName: String) { self.heloName = heloName }

    public func opened() -> ConversationStep { .wait }

    public mutating func received(_ buffer: inout ByteBuffer) -> ConversationStep {
        while phase != .done, let item = reader.next(&buffer) {
            guard case let .line(line) = item else { return finish(.down("reply line too long")) }
            let bytes = Array(line.readableBytesView)
            replyLines += 1
            guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (0x30...0x39).contains($0) }),
                  bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-") else {
                return finish(.down("\(phase == .banner ? "banner" : "EHLO reply") '\(CheckText.quote(bytes))'"))
            }
            if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") {
                guard replyLines < 100 else { return finish(.down("reply longer than 100 lines")) }
                continue
            }
            replyLines = 0
            let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)) ?? 0
            switch phase {
            case .banner:
                guard code == 220 else { return finish(.down("banner '\(CheckText.quote(bytes))'")) }
                phase = .ehlo
                return ConversationStep(send: Array("EHLO \(heloName)\r\n".utf8))
            case .ehlo:
                guard code == 250 else {
                    return finish(.down("EHLO reply '\(CheckText.quote(bytes))'"), sending: Array("QUIT\r\n".utf8))
                }
                return finish(.up("SMTP 220, EHLO 250"), sending: Array("QUIT\r\n".utf8))
            case .done:
                break
            }
        }
        return .wait
    }

    mutating func finish(_ verdict: Verdict, sending: [UInt8] = []) -> ConversationStep {
        phase = .done
        return .finish(verdict, sending: sending)
    }

    public func closed() -> Verdict { .down(phase == .banner ? "closed before the banner" : "closed before the EHLO reply") }
}

/// POP3: the greeting must be `+OK`, then QUIT.
public struct POP3Conversation: StreamConversation {
    var reader = MailLineReader()

    public init() {}

    public func opened() -> ConversationStep { .wait }

    public mutating func received(_ buffer: inout ByteBuffer) -> ConversationStep {
        guard let item = reader.next(&buffer) else { return .wait }
        guard case let .line(line) = item else { return .finish(.down("greeting too long")) }
        let bytes = Array(line.readableBytesView)
        guard bytes.starts(with: Array("+OK".utf8)), bytes.count == 3 || bytes[3] == UInt8(ascii: " ") else {
            return .finish(.down("greeting '\(CheckText.quote(bytes))'"))
        }
        return .finish(.up("POP3 +OK"), sending: Array("QUIT\r\n".utf8))
    }

    public func closed() -> Verdict { .down("closed before the greeting") }
}

/// IMAP: the greeting must be `* OK` (or `* PREAUTH`), then LOGOUT.
public struct IMAPConversation: StreamConversation {
    var reader = MailLineReader()

    public init() {}

    public func opened() -> ConversationStep { .wait }

    public mutating func received(_ buffer: inout ByteBuffer) -> ConversationStep {
        guard let item = reader.next(&buffer) else { return .wait }
        guard case let .line(line) = item else { return .finish(.down("greeting too long")) }
        let bytes = Array(line.readableBytesView)
        let text = String(decoding: bytes, as: UTF8.self).uppercased()
        for status in ["* OK", "* PREAUTH"] where text == status || text.hasPrefix(status + " ") {
            return .finish(.up("IMAP \(status)"), sending: Array("A1 LOGOUT\r\n".utf8))
        }
        return .finish(.down("greeting '\(CheckText.quote(bytes))'"))
    }

    public func closed() -> Verdict { .down("closed before the greeting") }
}
