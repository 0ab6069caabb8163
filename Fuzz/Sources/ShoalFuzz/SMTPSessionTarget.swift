import Directory
import NIOCore
import ShoalCore
import SMTPServer

/// A client's byte stream through `CRLFLineDecoder` into `SMTPCommand.parse` and the `SMTPSession` state
/// machine, the way the line-protocol handler drives them, with recipient checks, logins, deliveries and
/// TLS answered at once.
///
/// Input: byte 0 picks SMTP or LMTP and the session options, the rest is what the client sends.
enum SMTPSessionTarget {
    static func configuration(_ options: UInt8) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(
            mode: options & 1 == 0 ? .smtp : .lmtp, hostname: "mx.fuzz.test", maximumMessageSize: 4096,
            maximumRecipients: 5, maximumErrors: 20, tlsAvailable: options & 2 != 0, requireTLS: options & 4 != 0,
            requireAuthentication: options & 8 != 0, allowPlaintextAuthentication: options & 16 != 0,
            localDomains: options & 32 != 0 ? ["fuzz.test"] : [], relayHost: options & 64 != 0 ? "relay.fuzz.test" : nil,
            chunking: true, smtputf8: options & 128 == 0,
            now: { SMTPTimestamp(secondsSince1970: 1_700_000_000) }, makeID: { "FUZZ00000001" })
    }

    static func run(_ data: [UInt8]) {
        guard let options = data.first else { return }
        let config = configuration(options)
        var session = SMTPSession(configuration: config, peer: "192.0.2.1", secure: false)
        var decoder = CRLFLineDecoder(maximumLineLength: config.maximumLineLength)
        var buffer = ByteBuffer(bytes: data.dropFirst())
        var answers = answer(session.start())
        while !session.isClosed {
            if !answers.isEmpty {
                answers += answer(session.receive(answers.removeFirst()))
                continue
            }
            if case let .chunk(remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
            guard let item = decoder.decode(buffer: &buffer) else { break }
            if case let .line(line) = item {
                _ = try? SMTPCommand.parse(line.readableBytesView, utf8Addresses: options & 128 == 0)
            }
            answers = answer(session.receive(SMTPInput(item)))
        }
        _ = session.receive(.eof)
    }

    /// What the glue would feed back for the session's actions.
    static func answer(_ actions: [SMTPAction]) -> [SMTPInput] {
        var inputs: [SMTPInput] = []
        for action in actions {
            switch action {
            case let .reply(reply):
                _ = reply.rendered()
            case let .checkRecipient(address, _):
                let check: RecipientCheck = switch address.utf8.count % 6 {
                case 0: .unknown
                case 1: .remote
                case 2: .local(DirectoryUser(login: address), overQuota: true)
                case 3: .disabled
                case 4: .temporaryFailure
                default: .local(DirectoryUser(login: address))
                }
                inputs.append(.recipientChecked(check))
            case let .authenticate(login, password):
                inputs.append(.authenticationResult(password == "secret" ? .success(user: login) : .failure))
            case let .deliver(envelope):
                _ = envelope.messageWithoutReturnPath
                inputs.append(.delivered(envelope.recipients.map { _ in .delivered }))
            case .startTLS:
                inputs.append(.tlsStarted)
            case .close:
                break
            }
        }
        return inputs
    }
}
