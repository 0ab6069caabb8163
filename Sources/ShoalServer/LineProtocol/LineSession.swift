public import NIOCore

/// A pure line-protocol session (SMTP, LMTP, POP3, IMAP) that the ``LineProtocolHandler`` drives: inputs
/// in, actions out, no I/O. The session keeps its own input and action types (its tests speak them); it
/// says how the driver's events become inputs and what each action asks the driver to do.
public protocol LineSession: SendableMetatype {
    /// What the session receives: lines, chunks, the answers of its work, timeouts.
    associatedtype Input: Sendable
    /// What the session asks for, in order.
    associatedtype Action
    /// Work done off the event loop (a directory lookup, a delivery); its answer comes back as an `Input`.
    associatedtype Work: Sendable

    /// The greeting.
    mutating func start() -> [Action]
    mutating func receive(_ input: Input) -> [Action]

    /// The session input for an event of the driver.
    static func input(_ event: LineEvent) -> Input
    /// What the driver does for an action.
    static func step(_ action: Action) -> LineStep<Work>

    /// What the driver should read next.
    var inputMode: LineInputMode { get }
    /// True while work is out: the driver stops reading and holds pipelined input.
    var isWaiting: Bool { get }
    var isClosed: Bool { get }
    /// Which idle timeout applies now.
    var timeoutKind: LineTimeoutKind { get }
    /// True between commands, where a shutting-down server may end the session (nothing is lost).
    var canShutDown: Bool { get }
}

/// What the driver tells a session, besides the answers of its work.
public enum LineEvent: Sendable {
    /// A line without its CR LF.
    case line(ByteBuffer)
    /// A line longer than the limit (its bytes were dropped).
    case lineTooLong
    /// Complete lines with their CR LFs, none of them the dot line, read while the input mode is
    /// `.messageLines`. Their lengths are not checked against the limit: the session checks them as it scans.
    case lines(ByteBuffer)
    /// Raw bytes read while the session's input mode is `.chunk`.
    case chunk(ByteBuffer)
    /// The TLS handshake after `LineStep.startTLS` is under way: from here on everything is encrypted.
    case tlsStarted
    /// The client was silent longer than the timeout.
    case timeout
    /// The server is shutting down and the session is between commands.
    case shutdown
    /// The client closed the connection.
    case eof
}

/// What the driver does for one session action.
public enum LineStep<Work: Sendable> {
    /// Write this text (flushed before the driver waits or reads on).
    case send(String)
    /// Write these bytes as they are (a message, a literal: 8-bit safe).
    case sendBytes(ByteBuffer)
    /// Run the work off the event loop and feed its answer back.
    case perform(Work)
    /// Flush, drop input buffered after this command (RFC 3207 §5), start TLS, feed `.tlsStarted`.
    case startTLS
    /// Flush and close.
    case close
}

/// What the driver reads next.
public enum LineInputMode: Hashable, Sendable {
    /// CR LF lines.
    case line
    /// This many raw octets (SMTP BDAT, IMAP literals), then lines again.
    case chunk(remaining: Int)
    /// A message ended by a line holding only a dot (SMTP DATA): the complete lines before that line come as
    /// spans of whole lines (`LineEvent.lines`, as many lines as a read holds), the dot line as a `.line`.
    case messageLines
}

/// Which idle timeout the driver enforces.
public enum LineTimeoutKind: Hashable, Sendable {
    /// Waiting for a command.
    case command
    /// Waiting for more of a message or literal.
    case data
}
