public import NIOCore

/// How one check attempt ended.
public struct Verdict: Hashable, Sendable {
    public var succeeded: Bool
    public var message: String

    public init(succeeded: Bool, _ message: String) {
        self.succeeded = succeeded
        self.message = message
    }

    public static func up(_ message: String) -> Verdict { Verdict(succeeded: true, message) }
    public static func down(_ message: String) -> Verdict { Verdict(succeeded: false, message) }
}

/// What a conversation wants after an event: bytes to send (starting a new step) and/or a verdict.
public struct ConversationStep: Hashable, Sendable {
    public var send: [UInt8]
    public var verdict: Verdict?

    public init(send: [UInt8] = [], verdict: Verdict? = nil) {
        self.send = send
        self.verdict = verdict
    }

    public static let wait = ConversationStep()
    public static func finish(_ verdict: Verdict, sending: [UInt8] = []) -> ConversationStep {
        ConversationStep(send: sending, verdict: verdict)
    }
}

/// The protocol side of a stream check as a pure state machine: bytes in, bytes out, a verdict at the end.
public protocol StreamConversation: Sendable {
    /// The connection is open.
    mutating func opened() -> ConversationStep
    /// Bytes arrived; the conversation consumes what it understands from `buffer` (the rest stays for later).
    mutating func received(_ buffer: inout ByteBuffer) -> ConversationStep
    /// The peer closed the connection before a verdict.
    mutating func closed() -> Verdict
}

/// A plain TCP connect check: connected is good.
struct TCPConnectConversation: StreamConversation {
    func opened() -> ConversationStep { .finish(.up("connected")) }
    func received(_ buffer: inout ByteBuffer) -> ConversationStep { .finish(.up("connected")) }
    func closed() -> Verdict { .up("connected") }
}
