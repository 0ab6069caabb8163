import NIOCore
public import ShoalServer

extension IMAPSession: LineSession {
    public static func input(_ event: LineEvent) -> IMAPInput {
        switch event {
        case let .line(buffer): .line(buffer)
        case .lineTooLong: .lineTooLong
        // Never asked for (the session's input mode is never `.messageLines`); refused if it were.
        case .lines: .lineTooLong
        case let .chunk(buffer): .chunk(buffer)
        case .tlsStarted: .tlsStarted
        case .timeout: .timeout
        case .shutdown: .shutdown
        case .eof: .eof
        }
    }

    public static func step(_ action: IMAPAction) -> LineStep<IMAPWork> {
        switch action {
        case let .send(text): .send(text)
        case let .sendBytes(bytes): .sendBytes(ByteBuffer(bytes: bytes))
        case let .perform(work): .perform(work)
        case .startTLS: .startTLS
        case .close: .close
        }
    }

    /// Literal octets are read raw; everything else is lines.
    public var inputMode: LineInputMode {
        literalOctetsWanted > 0 ? .chunk(remaining: literalOctetsWanted) : .line
    }

    /// Inside a literal the data timeout applies; otherwise (and in IDLE) the autologout timer.
    public var timeoutKind: LineTimeoutKind { literalOctetsWanted > 0 ? .data : .command }

    public var canShutDown: Bool { isBetweenCommands || idleTag != nil }
}
