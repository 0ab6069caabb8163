public import Director
public import ShoalCore

/// What an `EpollPreamble` asks its epoll thread to do.
public enum EpollPreambleStep: Sendable, Hashable {
    /// Write these bytes to a side (kept and written when the socket takes them).
    case send(RelaySide, [UInt8])
    /// Schedule a real server for `request` through the `ConnectionScheduler` and connect to it (PROXY header
    /// first when the service sends one; the listener's `max_attempts` and connect timeout apply). The
    /// preamble hears `connected(to:)` or `connectFailed()`.
    case connect(ConnectionRequest)
    /// Close the real server's connection of this attempt and give its lease back (a refused login).
    case dropServer
    /// From now on relay bytes both ways exactly as a plain TCP connection (the preamble hears nothing more
    /// but `closed()`).
    case relay
    /// Close the connection (after writing what is pending to the client, as far as its socket takes it).
    case close
    /// Wait for `EpollResume.run` (work done off the epoll thread, e.g. a directory lookup).
    case suspend
}

/// A conversation the epoll engine holds with a client (and the real server chosen for it) before it relays
/// bytes: the mail director's pre-login session. Lives on one epoll thread; every call is made there, with
/// the engine's clock (`now`, milliseconds). Sockets and buffers are the engine's; this sees bytes only.
public protocol EpollPreamble: AnyObject {
    /// Right after accept: the greeting.
    func start(now: Int64) -> [EpollPreambleStep]
    /// Whether the engine should read (and pass on) more client bytes now.
    var acceptsClientInput: Bool { get }
    func clientBytes(_ bytes: UnsafeRawBufferPointer, now: Int64) -> [EpollPreambleStep]
    /// The client sent EOF.
    func clientEnded(now: Int64) -> [EpollPreambleStep]
    /// The real server accepted the connection (the PROXY header, if any, is already written): what to send it.
    func connected(to server: Endpoint, now: Int64) -> [EpollPreambleStep]
    /// No real server could be reached for the last `.connect` (none available, every attempt refused or timed out).
    func connectFailed(now: Int64) -> [EpollPreambleStep]
    func serverBytes(_ bytes: UnsafeRawBufferPointer, now: Int64) -> [EpollPreambleStep]
    /// The real server closed or broke the connection before `.relay`.
    func serverEnded(now: Int64) -> [EpollPreambleStep]
    /// The engine's periodic sweep (timeouts); `connecting` while a connect of this preamble is under way.
    func sweep(now: Int64, connecting: Bool) -> [EpollPreambleStep]
    /// The director drains: true when the connection may be closed now (nothing under way that should finish).
    var mayQuiesce: Bool { get }
    /// The connection closed (at any point, after `.relay` too).
    func closed()
}

/// Makes the preamble of each connection a listener of the epoll engine accepts.
public protocol EpollPreambleFactory: Sendable {
    func makePreamble(client: Endpoint, resume: EpollResume) -> any EpollPreamble
}

/// A handle to run code on a connection's epoll thread later (from any thread): the answer to `.suspend`.
public struct EpollResume: Sendable {
    public typealias Body = @Sendable (any EpollPreamble, Int64) -> [EpollPreambleStep]
    private let schedule: @Sendable (@escaping Body) -> Void

    /// `schedule` runs a body later on the connection's thread (the engine's; a test's own driver).
    public init(_ schedule: @escaping @Sendable (@escaping Body) -> Void) { self.schedule = schedule }

    /// Runs `body` with the connection's preamble and the engine's clock on its thread, then performs its steps
    /// (nothing if the connection closed meanwhile).
    public func run(_ body: @escaping Body) { schedule(body) }
}
