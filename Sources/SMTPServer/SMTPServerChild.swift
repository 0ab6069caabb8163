public import Logging
public import NIOCore
public import ShoalServer

/// SMTP or LMTP on the shared server runtime: each accepted connection gets a ``SMTPSession`` driven by the
/// line-protocol handler, with the ``MailAgent`` doing the lookups and deliveries.
public struct SMTPServerChild: ServerChild {
    public var session: SMTPSessionConfiguration
    public var lineProtocol: LineProtocolConfiguration
    /// The STARTTLS certificate (nil: STARTTLS is not offered).
    public var tls: TLSContextSource?
    /// The listener is TLS from the first byte (submissions, port 465): sessions start secure.
    public var implicitTLS = false
    public let agent: any MailAgent

    public init(session: SMTPSessionConfiguration, lineProtocol: LineProtocolConfiguration = LineProtocolConfiguration(),
                tls: TLSContextSource? = nil, agent: any MailAgent) {
        var session = session
        session.tlsAvailable = tls != nil
        self.session = session
        var lineProtocol = lineProtocol
        lineProtocol.maximumLineLength = session.maximumLineLength
        self.lineProtocol = lineProtocol
        self.tls = tls
        self.agent = agent
    }

    public func setup(channel: any Channel, logger: Logger) throws {
        let peer = ClientAddressNote.peer(of: channel)
        var connectionLogger = logger
        connectionLogger[metadataKey: "peer"] = "\(peer)"
        let agent = self.agent
        let handler = LineProtocolHandler(
            session: SMTPSession(configuration: session, peer: peer, secure: implicitTLS), configuration: lineProtocol, tls: tls,
            logger: connectionLogger
        ) { work in await agent.perform(work, peer: peer) }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// A server for this protocol on `listener` (its TLS mode, when STARTTLS, is what the sessions offer).
    public static func server(_ listener: ListenerConfiguration, session: SMTPSessionConfiguration,
                              lineProtocol: LineProtocolConfiguration = LineProtocolConfiguration(), agent: any MailAgent,
                              group: any EventLoopGroup, logger: Logger) -> Server<SMTPServerChild> {
        var child = SMTPServerChild(session: session, lineProtocol: lineProtocol, tls: listener.tls.startTLSContext, agent: agent)
        if case .implicit = listener.tls { child.implicitTLS = true }
        return Server(child: child, configuration: listener, group: group, logger: logger)
    }
}

extension MailAgent {
    /// Does one piece of a session's work and returns the answer to feed back.
    func perform(_ work: SMTPWork, peer: String) async -> SMTPInput {
        switch work {
        case let .checkRecipient(address, mailFrom):
            .recipientChecked(await checkRecipient(address: address, mailFrom: mailFrom))
        case let .authenticate(login, password):
            .authenticationResult(await authenticate(login: login, password: password, peer: peer))
        case let .deliver(envelope):
            .delivered(await deliver(envelope))
        }
    }
}
