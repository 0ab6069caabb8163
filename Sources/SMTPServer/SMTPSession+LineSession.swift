public import ShoalServer

/// The work an SMTP session hands to its ``MailAgent``, off the event loop.
public enum SMTPWork: Hashable, Sendable {
    case checkRecipient(address: String, mailFrom: String)
    case authenticate(login: String, password: String)
    case deliver(SMTPEnvelope)
}

extension SMTPSession: LineSession {
    public static func input(_ event: LineEvent) -> SMTPInput {
        switch event {
        case let .line(buffer): .line(buffer)
        case .lineTooLong: .lineTooLong
        case let .lines(buffer): .lines(buffer)
        case let .chunk(buffer): .chunk(buffer)
        case .tlsStarted: .tlsStarted
        case .timeout: .timeout
        case .shutdown: .shutdown
        case .eof: .eof
        }
    }

    public static func step(_ action: SMTPAction) -> LineStep<SMTPWork> {
        switch action {
        case let .reply(reply): .send(reply.rendered())
        case let .checkRecipient(address, mailFrom): .perform(.checkRecipient(address: address, mailFrom: mailFrom))
        case let .authenticate(login, password): .perform(.authenticate(login: login, password: password))
        case let .deliver(envelope): .perform(.deliver(envelope))
        case .startTLS: .startTLS
        case .close: .close
        }
    }

    public var timeoutKind: LineTimeoutKind { isReceivingMessage ? .data : .command }

    public var canShutDown: Bool { isAwaitingCommand }
}
