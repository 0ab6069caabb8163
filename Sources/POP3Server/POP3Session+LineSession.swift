public import ShoalServer

extension POP3Session: LineSession {
    public static func input(_ event: LineEvent) -> POP3Input {
        switch event {
        case let .line(buffer): .line(buffer)
        case .lineTooLong: .lineTooLong
        // Never asked for (the session's input mode is never `.messageLines`); refused if it were.
        case .lines: .lineTooLong
        // POP3 never asks for counted chunks; a chunk cannot arrive.
        case let .chunk(buffer): .line(buffer)
        case .tlsStarted: .tlsStarted
        case .timeout: .timeout
        case .shutdown: .shutdown
        case .eof: .eof
        }
    }

    public static func step(_ action: POP3Action) -> LineStep<POP3Work> {
        switch action {
        case let .reply(text): .send(text + "\r\n")
        case let .send(bytes): .sendBytes(bytes)
        case let .authenticate(login, password): .perform(.authenticate(login: login, password: password))
        case let .open(user): .perform(.open(user))
        case let .retrieve(message, bodyLines, following): .perform(.retrieve(message, bodyLines: bodyLines, following: following))
        case let .commit(messages): .perform(.commit(messages))
        case .startTLS: .startTLS
        case .close: .close
        }
    }

    public var inputMode: LineInputMode { .line }
    public var timeoutKind: LineTimeoutKind { .command }
    public var canShutDown: Bool { isBetweenCommands }
}
