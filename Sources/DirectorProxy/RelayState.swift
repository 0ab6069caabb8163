/// One side of a relayed connection: the client that connected to the director, or the real server.
public enum RelaySide: Sendable, Hashable {
    case client
    case server

    /// The side bytes read here are written to.
    public var other: RelaySide { self == .client ? .server : .client }
}

/// The lifecycle of one connection of the epoll forwarding engine, without sockets: which attempt at a real
/// server is under way, which directions reached end of file, which sockets were shut down for writing, when
/// it last carried data. Inputs are the events the engine sees; outputs are the actions it must take.
///
/// Half-close is passed on as in the NIO splice: when one side reads EOF and everything it sent is written
/// to the other side, the other side's output is shut down; the connection closes once both directions
/// are finished this way, or at once (with a reset) on an error.
public struct RelayState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        /// A non-blocking connect to a real server is under way (attempt 1 is the first choice).
        case connecting(attempt: Int)
        /// Both sockets are up: bytes flow both ways.
        case relaying
        case closed
    }

    /// What the engine does next.
    public enum Action: Sendable, Hashable {
        /// Nothing to do.
        case none
        /// Shut down the output of this side (`shutdown(SHUT_WR)`): its partner sent EOF and all of it was written.
        case shutdownWrite(RelaySide)
        /// Close both sockets normally (both directions finished, the idle timeout, or no server left to try).
        case close
        /// Close both sockets, the surviving one with a reset (`SO_LINGER` 0): an error on the other.
        case reset
        /// Give up the server being connected to and try the next choice (attempt number given).
        case retry(attempt: Int)
    }

    /// What a sweep decides about a connection.
    public enum SweepVerdict: Sendable, Hashable {
        case keep
        /// No byte either way for the idle timeout: close it.
        case idle
        /// The real server did not answer the connect within the connect timeout.
        case connectTimedOut
    }

    /// One direction of the relay, named by the side it reads from.
    struct Direction: Sendable, Hashable {
        /// The source side read EOF.
        var sourceEnded = false
        /// Bytes read from the source wait to be written to the sink.
        var pending = false
        /// The sink's output was shut down (the direction is finished).
        var sinkShut = false
    }

    public private(set) var phase: Phase
    /// Client to server.
    var upstream = Direction()
    /// Server to client.
    var downstream = Direction()
    /// When the connection last carried a byte (or when the current connect started), in the engine's clock.
    public private(set) var lastActivity: Int64
    private let maxAttempts: Int

    /// A connection accepted at `now`, connecting to its first choice.
    public init(now: Int64, maxAttempts: Int) {
        phase = .connecting(attempt: 1)
        lastActivity = now
        self.maxAttempts = max(1, maxAttempts)
    }

    private func direction(from side: RelaySide) -> Direction { side == .client ? upstream : downstream }

    private mutating func update(from side: RelaySide, _ body: (inout Direction) -> Void) {
        if side == .client { body(&upstream) } else { body(&downstream) }
    }

    /// True when bytes read from `side` may be read now (relaying, its EOF not seen, nothing pending toward the other side).
    public func mayRead(from side: RelaySide) -> Bool {
        guard case .relaying = phase else { return false }
        let d = direction(from: side)
        return !d.sourceEnded && !d.pending
    }

    /// True when `side` read EOF.
    public func ended(_ side: RelaySide) -> Bool { direction(from: side).sourceEnded }

    /// The server accepted the connection.
    public mutating func connected(now: Int64) {
        guard case .connecting = phase else { return }
        phase = .relaying
        lastActivity = now
    }

    /// The connect failed (refused, reset, unreachable, timed out): try the next server or give up.
    public mutating func connectFailed(now: Int64) -> Action {
        guard case let .connecting(attempt) = phase else { return .none }
        guard attempt < maxAttempts else {
            phase = .closed
            return .close
        }
        phase = .connecting(attempt: attempt + 1)
        lastActivity = now
        return .retry(attempt: attempt + 1)
    }

    /// Bytes were read from `side` (they are written to the other side at once; `pendingLeft` when some of them
    /// could not be written yet).
    public mutating func read(from side: RelaySide, now: Int64, pendingLeft: Bool) {
        lastActivity = now
        if pendingLeft { update(from: side) { $0.pending = true } }
    }

    /// Everything pending toward `side` was written.
    public mutating func drained(to side: RelaySide) -> Action {
        update(from: side.other) { $0.pending = false }
        return passOnEnd(from: side.other)
    }

    /// `side` read EOF (its peer shut down its output).
    public mutating func endOfFile(from side: RelaySide) -> Action {
        guard phase == .relaying, !direction(from: side).sourceEnded else { return .none }
        update(from: side) { $0.sourceEnded = true }
        return passOnEnd(from: side)
    }

    /// The engine shut down `side`'s output as told.
    public mutating func didShutdownWrite(_ side: RelaySide) -> Action {
        update(from: side.other) { $0.sinkShut = true }
        if upstream.sinkShut && downstream.sinkShut {
            phase = .closed
            return .close
        }
        return .none
    }

    /// A socket error (reset by the peer, broken pipe) on either side of a relayed connection, or on the
    /// client while connecting (an error of the server being connected to is `connectFailed`).
    public mutating func failed() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .reset
    }

    /// The connection is closed by the engine (idle, drain, shutdown).
    public mutating func close() { phase = .closed }

    /// The coarse sweep's verdict at `now` (times in the engine's clock units).
    public func sweep(now: Int64, idleTimeout: Int64, connectTimeout: Int64) -> SweepVerdict {
        switch phase {
        case .connecting: now - lastActivity >= connectTimeout ? .connectTimedOut : .keep
        case .relaying: now - lastActivity >= idleTimeout ? .idle : .keep
        case .closed: .keep
        }
    }

    private func passOnEnd(from side: RelaySide) -> Action {
        let d = direction(from: side)
        guard d.sourceEnded, !d.pending, !d.sinkShut, phase == .relaying else { return .none }
        return .shutdownWrite(side.other)
    }
}
