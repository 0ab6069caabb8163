public import NIOCore
public import ShoalCore

/// How a server listens: address, socket options, TLS and limits, each with a default.
public struct ListenerConfiguration: Sendable {
    /// Where to listen (port 0 picks a free port; read it back from the bound listener).
    public var address: Endpoint
    /// The kernel's queue of connections not yet accepted.
    public var backlog: Int
    /// One listening socket per event loop with `SO_REUSEPORT` (the kernel spreads new connections over them
    /// and each connection stays on the loop that accepted it), instead of one socket for the whole group.
    public var socketPerEventLoop: Bool
    /// Plaintext, TLS from the first byte, or plaintext that may upgrade with STARTTLS.
    public var tls: ListenerTLS
    /// Keep a connection open for writing after the client shut down its sending side (a proxy needs this).
    public var allowRemoteHalfClosure: Bool
    /// Connections open at once; a connection beyond it is closed as soon as it is accepted. Nil: no cap.
    public var maximumConnections: Int?
    /// How long a graceful shutdown waits for open connections before it closes them.
    public var drainTimeout: TimeAmount
    /// Holds a connection's setup until the gate lets it through (a PROXY protocol header); nil: at once.
    /// Pipeline-driven protocols only.
    public var gate: ConnectionGate?

    public init(address: Endpoint, backlog: Int = 256, socketPerEventLoop: Bool = false, tls: ListenerTLS = .none,
                allowRemoteHalfClosure: Bool = false, maximumConnections: Int? = 10_000, drainTimeout: TimeAmount = .seconds(30)) {
        self.address = address
        self.backlog = backlog
        self.socketPerEventLoop = socketPerEventLoop
        self.tls = tls
        self.allowRemoteHalfClosure = allowRemoteHalfClosure
        self.maximumConnections = maximumConnections
        self.drainTimeout = drainTimeout
    }
}

/// The TLS mode of a listener.
public enum ListenerTLS: Sendable {
    /// Plaintext only.
    case none
    /// TLS from the first byte (SMTPS on 465, IMAPS on 993, POP3S on 995, HTTPS).
    case implicit(TLSContextSource)
    /// Plaintext at first; the protocol may start TLS (STARTTLS, STLS) with this context.
    case startTLS(TLSContextSource)

    /// The context a STARTTLS-capable protocol upgrades with, if any.
    public var startTLSContext: TLSContextSource? {
        if case let .startTLS(source) = self { return source }
        return nil
    }
}
