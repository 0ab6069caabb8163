public import Logging
public import MailAccess
public import MailStore
public import NIOCore
public import ShoalServer

/// POP3 on the shared server runtime: each connection gets a ``POP3Session`` driven by the line-protocol
/// handler and a ``POP3MaildropAgent`` of its own (which holds the maildrop lock until the connection ends).
public struct POP3ServerChild: ServerChild {
    public var session: POP3SessionConfiguration
    public var lineProtocol: LineProtocolConfiguration
    /// The STLS certificate (nil: STLS is not offered).
    public var tls: TLSContextSource?
    public let store: MailStore
    public let authenticator: MailAuthenticator

    public init(session: POP3SessionConfiguration, lineProtocol: LineProtocolConfiguration = POP3ServerChild.defaultLineProtocol,
                tls: TLSContextSource? = nil, store: MailStore, authenticator: MailAuthenticator) {
        var session = session
        session.tlsAvailable = tls != nil
        self.session = session
        self.lineProtocol = lineProtocol
        self.tls = tls
        self.store = store
        self.authenticator = authenticator
    }

    /// RFC 1939 §3: the autologout timer is at least 10 minutes; RFC 2449 §4: lines up to 255 octets, but
    /// AUTH responses may be longer.
    public static var defaultLineProtocol: LineProtocolConfiguration {
        LineProtocolConfiguration(maximumLineLength: 8192, commandTimeout: .minutes(10), dataTimeout: .minutes(10))
    }

    public func setup(channel: any Channel, logger: Logger) throws {
        let peer = ClientAddressNote.peer(of: channel)
        var connectionLogger = logger
        connectionLogger[metadataKey: "peer"] = "\(peer)"
        let agent = POP3MaildropAgent(store: store, authenticator: authenticator, peer: peer, logger: connectionLogger)
        channel.closeFuture.whenComplete { _ in agent.close() }
        let handler = LineProtocolHandler(
            session: POP3Session(configuration: session), configuration: lineProtocol, tls: tls, logger: connectionLogger,
            executor: store.executor, readyAnswer: agent.readyAnswer
        ) { work in await agent.perform(work) }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// A server for POP3 on `listener`: STLS when its TLS mode is STARTTLS, POP3S when implicit.
    public static func server(_ listener: ListenerConfiguration, session: POP3SessionConfiguration,
                              lineProtocol: LineProtocolConfiguration = POP3ServerChild.defaultLineProtocol,
                              store: MailStore, authenticator: MailAuthenticator,
                              group: any EventLoopGroup, logger: Logger) -> Server<POP3ServerChild> {
        var session = session
        if case .implicit = listener.tls { session.implicitTLS = true }
        let child = POP3ServerChild(session: session, lineProtocol: lineProtocol, tls: listener.tls.startTLSContext,
                                    store: store, authenticator: authenticator)
        return Server(child: child, configuration: listener, group: group, logger: logger)
    }
}
