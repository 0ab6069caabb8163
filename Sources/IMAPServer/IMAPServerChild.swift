public import Logging
public import MailAccess
public import MailStore
public import NIOCore
public import ShoalServer

/// IMAP on the shared server runtime: each connection gets an ``IMAPSession`` driven by the line-protocol
/// handler and an ``IMAPMailboxAgent`` of its own.
public struct IMAPServerChild: ServerChild {
    public var session: IMAPSessionConfiguration
    public var lineProtocol: LineProtocolConfiguration
    /// The STARTTLS certificate (nil: STARTTLS is not offered).
    public var tls: TLSContextSource?
    public let store: MailStore
    public let authenticator: MailAuthenticator
    /// The summary index every connection of this process reads and extends.
    public let summaries: IMAPSummaryCache
    /// How often IDLE looks at a folder that is not watched (the store polls, or the folder is on a network filesystem).
    public var idlePollInterval: Duration = .milliseconds(500)
    /// How often IDLE looks at a folder that is watched with inotify, in case a notification was missed.
    public var idleSafetyPollInterval: Duration = .seconds(30)

    public init(session: IMAPSessionConfiguration, lineProtocol: LineProtocolConfiguration = IMAPServerChild.defaultLineProtocol,
                tls: TLSContextSource? = nil, store: MailStore, authenticator: MailAuthenticator,
                summaries: IMAPSummaryCache = IMAPSummaryCache()) {
        self.summaries = summaries
        var session = session
        session.tlsAvailable = tls != nil
        self.session = session
        self.lineProtocol = lineProtocol
        self.tls = tls
        self.store = store
        self.authenticator = authenticator
    }

    /// RFC 3501 §5.4: the autologout timer is at least 30 minutes (IDLE clients re-issue it every 29);
    /// a literal that stalls for 3 minutes ends the connection.
    public static var defaultLineProtocol: LineProtocolConfiguration {
        LineProtocolConfiguration(maximumLineLength: 64 * 1024, commandTimeout: .minutes(30), dataTimeout: .minutes(3))
    }

    public func setup(channel: any Channel, logger: Logger) throws {
        let peer = ClientAddressNote.peer(of: channel)
        var connectionLogger = logger
        connectionLogger[metadataKey: "peer"] = "\(peer)"
        let agent = IMAPMailboxAgent(store: store, authenticator: authenticator, peer: peer, logger: connectionLogger,
                                     summaries: summaries, idlePollInterval: idlePollInterval,
                                     idleSafetyPollInterval: idleSafetyPollInterval)
        // An IDLE wait must not hold the folder's watch (or this agent) after the client is gone.
        channel.closeFuture.whenComplete { _ in agent.close() }
        let handler = LineProtocolHandler(
            session: IMAPSession(configuration: session), configuration: lineProtocol, tls: tls, logger: connectionLogger,
            executor: store.executor
        ) { work in .worked(await agent.perform(work)) }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// A server for IMAP on `listener`: STARTTLS when its TLS mode is STARTTLS, IMAPS when implicit.
    public static func server(_ listener: ListenerConfiguration, session: IMAPSessionConfiguration,
                              lineProtocol: LineProtocolConfiguration = IMAPServerChild.defaultLineProtocol,
                              store: MailStore, authenticator: MailAuthenticator, summaries: IMAPSummaryCache = IMAPSummaryCache(),
                              idlePollInterval: Duration = .milliseconds(500), idleSafetyPollInterval: Duration = .seconds(30),
                              group: any EventLoopGroup, logger: Logger) -> Server<IMAPServerChild> {
        var session = session
        if case .implicit = listener.tls { session.implicitTLS = true }
        var child = IMAPServerChild(session: session, lineProtocol: lineProtocol, tls: listener.tls.startTLSContext,
                                    store: store, authenticator: authenticator, summaries: summaries)
        child.idlePollInterval = idlePollInterval
        child.idleSafetyPollInterval = idleSafetyPollInterval
        return Server(child: child, configuration: listener, group: group, logger: logger)
    }
}
