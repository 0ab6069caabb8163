import NIOCore
import ShoalServer

/// A toy line protocol for driving ``LineProtocolHandler`` in tests: `WAIT x` asks for work (answered with
/// `+OK x`), `CHUNK n` reads n raw bytes, `QUIT` closes, anything else is echoed.
struct EchoSession: LineSession {
    enum Input: Sendable, Equatable {
        case event(String)
        case line(String)
        case chunk(String)
        case answer(String)
    }

    enum Action: Equatable {
        case send(String)
        case lookup(String)
        case close
    }

    private(set) var waiting = false
    private(set) var closed = false
    private var chunkRemaining = 0
    private var chunk = ""
    /// Every input received, in order (what the test inspects).
    private(set) var received: [Input] = []

    mutating func start() -> [Action] { [.send("+OK hi\r\n")] }

    mutating func receive(_ input: Input) -> [Action] {
        received.append(input)
        switch input {
        case let .line(text):
            if text.hasPrefix("WAIT ") {
                waiting = true
                return [.lookup(String(text.dropFirst(5)))]
            }
            if text.hasPrefix("CHUNK "), let n = Int(text.dropFirst(6)) {
                chunkRemaining = n
                chunk = ""
                return []
            }
            if text == "QUIT" {
                closed = true
                return [.send("+OK bye\r\n"), .close]
            }
            return [.send("echo \(text)\r\n")]
        case let .chunk(bytes):
            chunk += bytes
            chunkRemaining -= bytes.utf8.count
            return chunkRemaining == 0 ? [.send("+GOT \(chunk)\r\n")] : []
        case let .answer(text):
            waiting = false
            return [.send("+OK \(text)\r\n")]
        case .event("timeout"):
            closed = true
            return [.send("-ERR timeout\r\n"), .close]
        case .event("shutdown"):
            closed = true
            return [.send("-ERR shutting down\r\n"), .close]
        case .event("eof"):
            closed = true
            return []
        case .event("tooLong"):
            return [.send("-ERR too long\r\n")]
        case .event:
            return []
        }
    }

    static func input(_ event: LineEvent) -> Input {
        switch event {
        case let .line(buffer): .line(String(buffer: buffer))
        case let .chunk(buffer): .chunk(String(buffer: buffer))
        case .lineTooLong: .event("tooLong")
        case let .lines(buffer): .line(String(buffer: buffer))
        case .tlsStarted: .event("tls")
        case .timeout: .event("timeout")
        case .shutdown: .event("shutdown")
        case .eof: .event("eof")
        }
    }

    static func step(_ action: Action) -> LineStep<String> {
        switch action {
        case let .send(text): .send(text)
        case let .lookup(key): .perform(key)
        case .close: .close
        }
    }

    var inputMode: LineInputMode { chunkRemaining > 0 ? .chunk(remaining: chunkRemaining) : .line }
    var isWaiting: Bool { waiting }
    var isClosed: Bool { closed }
    var timeoutKind: LineTimeoutKind { chunkRemaining > 0 ? .data : .command }
    var canShutDown: Bool { !waiting && chunkRemaining == 0 }
}
