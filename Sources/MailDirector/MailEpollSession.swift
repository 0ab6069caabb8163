public import DirectorProxy
public import Director
public import Logging
import MailAccess
import NIOCore
public import ShoalCore

/// The mail proxy's sessions on the epoll engine (`engine: epoll` on a plaintext `protocol: imap|pop3|submission`
/// service): each connection gets a `MailEpollSession`. What the connections share is one `MailProxyService`, as
/// on the NIO engine.
public struct MailEpollSessions: EpollPreambleFactory {
    let service: MailProxyService

    public init(settings: MailProxySettings, virtual: Endpoint, scheduler: any ConnectionScheduler, statistics: MailProxyStatistics,
                logger: Logger) {
        service = MailProxyService(settings: settings, virtual: virtual, scheduler: scheduler, connector: .sockets,
                                   statistics: statistics, logger: logger)
    }

    public func makePreamble(client: Endpoint, resume: EpollResume) -> any EpollPreamble {
        MailEpollSession(service: service, client: client, resume: resume)
    }
}

/// One client of a mail proxy service on the epoll engine, up to its splice: the same pure pre-login session
/// (`MailProxySession`), line cutting (`CRLFLineDecoder`), login replay (`MailBackendConversation`), scheduler
/// key, counters and timeouts as `MailProxyFrontend`, driven by an epoll thread's bytes instead of NIO events.
/// Client input that arrives while a login is replayed is held (up to 64 KiB, then the engine stops reading)
/// and passed to the node after the splice.
final class MailEpollSession: EpollPreamble {
    private var session: any MailProxySession
    private let service: MailProxyService
    private let client: Endpoint
    private let resume: EpollResume
    private var settings: MailProxySettings { service.settings }
    private var input: MailClientInput
    /// The replay of the login under way, and the node's lines cut for it.
    private var login: MailLogin?
    private var replay: MailBackendReplay?
    private var node: Endpoint?
    /// Set once spliced: the node the session counts against.
    private var splicedTo: Endpoint?
    private var clientInputClosed = false
    /// When the command or login timeout is due (engine milliseconds).
    private var deadline: Int64 = .max
    private var steps: [EpollPreambleStep] = []

    init(service: MailProxyService, client: Endpoint, resume: EpollResume) {
        self.service = service
        self.session = service.session
        self.client = client
        self.resume = resume
        input = MailClientInput(maximumLineLength: service.settings.maximumLineLength)
    }

    private static func milliseconds(_ amount: TimeAmount) -> Int64 { amount.nanoseconds / 1_000_000 }

    // MARK: EpollPreamble

    func start(now: Int64) -> [EpollPreambleStep] {
        deadline = now + Self.milliseconds(settings.commandTimeout)
        run(session.start(), now: now)
        return take()
    }

    var acceptsClientInput: Bool { !session.isRouting || input.bufferedBytes < 64 * 1024 }

    var mayQuiesce: Bool { !session.isRouting }

    func clientBytes(_ bytes: UnsafeRawBufferPointer, now: Int64) -> [EpollPreambleStep] {
        var incoming = ByteBuffer(bytes: bytes)
        input.append(&incoming)
        if !session.isRouting { deadline = now + Self.milliseconds(settings.commandTimeout) }
        process(now: now)
        return take()
    }

    func clientEnded(now: Int64) -> [EpollPreambleStep] {
        // A login under way is passed on (then the half-close); otherwise everything it sent was answered.
        if session.isRouting {
            clientInputClosed = true
        } else {
            steps.append(.close)
        }
        return take()
    }

    func connected(to server: Endpoint, now: Int64) -> [EpollPreambleStep] {
        node = server
        guard var replay else { return [.dropServer] }
        send(replay.start(), to: .server)
        self.replay = replay
        return take()
    }

    func connectFailed(now: Int64) -> [EpollPreambleStep] {
        service.logger.notice("no mail node available", metadata: ["user": "\(login?.user ?? "?")", "client": "\(client)"])
        service.statistics.unavailable()
        finishLogin()
        feed(.routed(.unavailable), now: now)
        return take()
    }

    func serverBytes(_ bytes: UnsafeRawBufferPointer, now: Int64) -> [EpollPreambleStep] {
        guard var replay else { return [] }
        var incoming = ByteBuffer(bytes: bytes)
        let progress = replay.receive(&incoming)
        self.replay = replay
        send(progress.send, to: .server)
        if let outcome = progress.result { routed(outcome.result, leftover: outcome.leftover, now: now) }
        return take()
    }

    func serverEnded(now: Int64) -> [EpollPreambleStep] {
        if replay != nil { routed(.unavailable, leftover: nil, now: now) }
        return take()
    }

    /// The command timeout before login; the login timeout while one is replayed (the node connection is
    /// dropped, so the login ends as unavailable; a connect under way has its own timeout).
    func sweep(now: Int64, connecting: Bool) -> [EpollPreambleStep] {
        guard now >= deadline else { return [] }
        if session.isRouting {
            if replay != nil && node != nil && !connecting {
                routed(.unavailable, leftover: nil, now: now)
            } else {
                deadline = now + Self.milliseconds(settings.loginTimeout)
            }
        } else {
            feed(.timeout, now: now)
        }
        return take()
    }

    func closed() {
        if let splicedTo {
            service.statistics.sessionEnded(at: splicedTo)
        } else {
            _ = session.receive(.eof)
        }
    }

    // MARK: The session

    private func take() -> [EpollPreambleStep] {
        defer { steps = [] }
        return steps
    }

    private func send(_ lines: [String], to side: RelaySide) {
        guard !lines.isEmpty else { return }
        var bytes: [UInt8] = []
        for line in lines {
            bytes.append(contentsOf: line.utf8)
            bytes.append(contentsOf: [13, 10])
        }
        steps.append(.send(side, bytes))
    }

    /// Feeds every complete line or literal chunk to the session until it routes, closes or input runs out.
    private func process(now: Int64) {
        while !session.isRouting, !session.isClosed, let event = input.next(for: session) {
            run(session.receive(event), now: now)
        }
    }

    private func feed(_ event: MailProxyEvent, now: Int64) {
        run(session.receive(event), now: now)
        if !session.isRouting && !session.isClosed && splicedTo == nil {
            if clientInputClosed {
                steps.append(.close)
                return
            }
            deadline = now + Self.milliseconds(settings.commandTimeout)
            process(now: now)
        }
    }

    private func run(_ actions: [MailProxyAction], now: Int64) {
        for action in actions {
            switch action {
            case let .send(text):
                steps.append(.send(.client, Array(text.utf8)))
            case let .route(login):
                deadline = now + Self.milliseconds(settings.loginTimeout)
                route(login)
            case .startTLS:
                // Refused at configuration load: TLS services stay on the NIO engine.
                steps.append(.close)
            case .splice:
                break  // done by `routed`
            case .close:
                steps.append(.close)
            }
        }
    }

    // MARK: Routing

    private func route(_ login: MailLogin) {
        guard let authenticator = settings.authenticator else {
            attempt(login, affinity: login.user)
            return
        }
        // Checked first, off the epoll thread: a bad login is refused (after the directory's failed-login delay)
        // without reaching a node; a good one is keyed by the directory's name for the user.
        steps.append(.suspend)
        let peer = client.address.description, resume = self.resume
        Task {
            let outcome = await authenticator.authenticate(login: login.user, password: login.password, peer: peer)
            resume.run { preamble, now in
                guard let session = preamble as? MailEpollSession else { return [] }
                return session.authenticated(outcome, login: login, now: now)
            }
        }
    }

    private func authenticated(_ outcome: MailAuthenticator.Outcome, login: MailLogin, now: Int64) -> [EpollPreambleStep] {
        switch outcome {
        case let .success(user):
            attempt(login, affinity: user.login)
        case .failure:
            service.statistics.refused()
            service.logger.info("login refused by the directory", metadata: ["user": "\(login.user)", "client": "\(client)"])
            feed(.routed(.refused(settings.proto.refusedLoginText)), now: now)
        case .temporaryFailure:
            service.statistics.unavailable()
            feed(.routed(.unavailable), now: now)
        }
        return take()
    }

    /// Asks the engine for the user's node (the same affinity key as the NIO engine); the login is replayed
    /// once connected.
    private func attempt(_ login: MailLogin, affinity: String) {
        self.login = login
        replay = MailBackendReplay(session.backendLogin(login))
        node = nil
        steps.append(.connect(ConnectionRequest(proto: .tcp, client: client, virtual: service.virtual,
                                                affinityKey: UserAffinityKey.key(affinity))))
    }

    private func finishLogin() { replay = nil }

    /// The replay's outcome: refused or unavailable go back to the session (the node connection dropped);
    /// accepted is answered under the client's tag and the connection relayed, held input first.
    private func routed(_ result: MailRouteResult, leftover: ByteBuffer?, now: Int64) {
        let user = login?.user ?? "?"
        finishLogin()
        switch result {
        case .refused, .unavailable:
            steps.append(.dropServer)
            if case .refused = result { service.statistics.refused() } else { service.statistics.unavailable() }
            service.logger.info("login not accepted by the mail node", metadata: [
                "user": "\(user)", "node": "\(node?.description ?? "?")", "result": "\(result)",
            ])
            node = nil
            feed(.routed(result), now: now)
        case .accepted:
            run(session.receive(.routed(result)), now: now)
            if let leftover { steps.append(.send(.client, Array(leftover.readableBytesView))) }
            if let pending = input.takeBuffered(), pending.readableBytes > 0 { steps.append(.send(.server, Array(pending.readableBytesView))) }
            if let node {
                splicedTo = node
                service.statistics.proxied(to: node)
            }
            service.logger.debug("mail session spliced", metadata: ["user": "\(user)", "node": "\(node?.description ?? "?")"])
            steps.append(.relay)
        }
    }
}
