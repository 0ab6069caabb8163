public import NIOCore
import NIOConcurrencyHelpers

/// A response body of announced length that arrives over time (a cache fill from its origin), kept whole in
/// memory and readable by any number of subscribers: each gets every chunk from the first, in order, on its own
/// event loop, then the end (or the failure). The producer calls ``append(_:)`` then ``finish()`` or ``fail(_:)``.
public final class HTTPStreamedBody: Sendable {
    /// What a subscriber is told, in order: chunks, then exactly one `.end` or `.failed`.
    public enum Event: Sendable {
        case chunk(ByteBuffer)
        case end
        case failed(any Error)
    }

    /// The body's length as announced (`Content-Length`); the body fails when more or fewer bytes arrive.
    public let length: Int64

    private struct Subscriber {
        let loop: any EventLoop
        let handler: @Sendable (Event) -> Void
    }

    private struct State {
        var chunks: [ByteBuffer] = []
        var received: Int64 = 0
        var outcome: Event?
        var subscribers: [Subscriber] = []
        var completions: [CheckedContinuation<ByteBuffer, any Error>] = []
    }

    private let state = NIOLockedValueBox(State())

    public init(length: Int64) {
        self.length = length
    }

    /// True once the whole body has arrived.
    public var isFinished: Bool {
        state.withLockedValue { state in
            if case .end? = state.outcome { return true }
            return false
        }
    }

    /// Bytes received so far.
    public var received: Int64 { state.withLockedValue { $0.received } }

    /// Adds a chunk and hands it to every subscriber; a chunk past the announced length fails the body.
    public func append(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        let overflow: Bool = state.withLockedValue { state in
            guard state.outcome == nil else { return false }
            guard state.received + Int64(buffer.readableBytes) <= length else { return true }
            state.received += Int64(buffer.readableBytes)
            state.chunks.append(buffer)
            // Enqueued under the lock, so a subscriber joining concurrently sees each chunk exactly once, in order.
            for subscriber in state.subscribers {
                let handler = subscriber.handler
                subscriber.loop.execute { handler(.chunk(buffer)) }
            }
            return false
        }
        if overflow { fail(HTTPStreamedBodyError.longerThanAnnounced(length)) }
    }

    /// Ends the body; one shorter than announced fails instead.
    public func finish() {
        let short = state.withLockedValue { $0.outcome == nil && $0.received != length }
        if short { return fail(HTTPStreamedBodyError.shorterThanAnnounced(expected: length, received: received)) }
        settle(.end)
    }

    /// Ends the body with an error: subscribers that started writing must cut their connection.
    public func fail(_ error: any Error) {
        settle(.failed(error))
    }

    private func settle(_ outcome: Event) {
        let (completions, whole): ([CheckedContinuation<ByteBuffer, any Error>], ByteBuffer?) = state.withLockedValue { state in
            guard state.outcome == nil else { return ([], nil) }
            state.outcome = outcome
            for subscriber in state.subscribers {
                let handler = subscriber.handler
                subscriber.loop.execute { handler(outcome) }
            }
            state.subscribers = []
            let waiting = state.completions
            state.completions = []
            return (waiting, Self.joined(state.chunks))
        }
        for continuation in completions {
            switch outcome {
            case let .failed(error): continuation.resume(throwing: error)
            default: continuation.resume(returning: whole ?? ByteBuffer())
            }
        }
    }

    /// Delivers every chunk so far and then each new one, and the end, on `loop`.
    public func subscribe(on loop: any EventLoop, _ handler: @escaping @Sendable (Event) -> Void) {
        state.withLockedValue { state in
            let backlog = state.chunks
            let outcome = state.outcome
            if !backlog.isEmpty || outcome != nil {
                loop.execute {
                    for chunk in backlog { handler(.chunk(chunk)) }
                    if let outcome { handler(outcome) }
                }
            }
            if outcome == nil { state.subscribers.append(Subscriber(loop: loop, handler: handler)) }
        }
    }

    /// The whole body once it has ended; throws the failure when it failed.
    public func collected() async throws -> ByteBuffer {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer, any Error>) in
            let ready: Result<ByteBuffer, any Error>? = state.withLockedValue { state in
                switch state.outcome {
                case .none:
                    state.completions.append(continuation)
                    return nil
                case let .failed(error)?: return .failure(error)
                default: return .success(Self.joined(state.chunks))
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private static func joined(_ chunks: [ByteBuffer]) -> ByteBuffer {
        if chunks.count == 1 { return chunks[0] }
        var whole = ByteBuffer()
        whole.reserveCapacity(chunks.reduce(0) { $0 + $1.readableBytes })
        for var chunk in chunks { whole.writeBuffer(&chunk) }
        return whole
    }
}

/// A streamed body did not arrive as announced.
public enum HTTPStreamedBodyError: Error, CustomStringConvertible, Sendable {
    case longerThanAnnounced(Int64)
    case shorterThanAnnounced(expected: Int64, received: Int64)

    public var description: String {
        switch self {
        case let .longerThanAnnounced(length): "the body ran past its announced \(length) bytes"
        case let .shorterThanAnnounced(expected, received): "the body ended after \(received) of its announced \(expected) bytes"
        }
    }
}
