import MailAccess
import MailStore
import NIOCore

/// One IMAP4rev1 session (RFC 3501 with the extensions in ``capabilities``), pure: lines, literals and work
/// answers in, responses and work out. Commands that need the store wait for their work, one at a time;
/// changes by other sessions are announced when the folder is looked at again (NOOP, IDLE, FETCH, ...).
public struct IMAPSession: Sendable {
    enum State: Sendable {
        case notAuthenticated
        case authenticated
        case selected
        case loggedOut
    }

    /// What the outstanding work is for.
    enum Pending: Sendable {
        case login(tag: String)
        case select(tag: String, folder: String, readOnly: Bool)
        case status(tag: String, mailbox: IMAPMailboxName, attributes: [IMAPStatusAttribute])
        case simple(tag: String, command: String)
        case list(tag: String, IMAPListCommand, lsub: Bool)
        case listStatus(tag: String, [IMAPListMatcher.Entry], [IMAPStatusAttribute])
        case sync(tag: String, command: String)
        case idle(tag: String)
        case fetch(IMAPFetchJob)
        case search(IMAPSearchJob)
        case sort(IMAPSortJob)
        case store(IMAPStoreJob)
        case copy(tag: String, messages: [StoredMessage], move: Bool, uid: Bool)
        case expunge(tag: String, uids: IMAPSequenceSet?, closing: Bool)
        case append(tag: String, folder: String)
    }

    public let configuration: IMAPSessionConfiguration
    var state: State = .notAuthenticated
    public private(set) var secure: Bool
    var selected: SelectedMailbox?
    var assembler: IMAPCommandAssembler
    var pending: Pending?
    var sasl: (tag: String, exchange: SASLExchange)?
    /// IDLE's tag while idling; the poll under way is ignored once DONE came.
    var idleTag: String?
    var idlePollOut = false
    var errors = 0

    public init(configuration: IMAPSessionConfiguration) {
        self.configuration = configuration
        secure = configuration.implicitTLS
        assembler = IMAPCommandAssembler(limits: IMAPCommandAssembler.Limits(maximumMessageSize: configuration.maximumMessageSize))
    }

    public var isClosed: Bool { if case .loggedOut = state { true } else { false } }
    /// Input waits while work is out — except during IDLE, where DONE must get through.
    public var isWaiting: Bool { pending != nil && idleTag == nil }
    public var isBetweenCommands: Bool { pending == nil && idleTag == nil && sasl == nil && assembler.isIdle }
    public var literalOctetsWanted: Int { assembler.pendingLiteralOctets }

    var mayLogIn: Bool { secure || configuration.allowPlaintextAuthentication }

    /// The capabilities for the current state (RFC 3501 §7.2.1).
    public var capabilities: [String] {
        var list = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "CHILDREN",
                    "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT",
                    "THREAD=REFERENCES"]
        if case .notAuthenticated = state {
            if configuration.tlsAvailable && !secure { list.append("STARTTLS") }
            if mayLogIn {
                list += configuration.authenticationMechanisms.map { "AUTH=" + $0.rawValue }
            } else {
                list.append("LOGINDISABLED")
            }
        }
        return list
    }

    public mutating func start() -> [IMAPAction] {
        [.send("* OK [CAPABILITY \(capabilities.joined(separator: " "))] \(configuration.hostname) Shoal IMAP ready.\r\n")]
    }

    public mutating func receive(_ input: IMAPInput) -> [IMAPAction] {
        guard !isClosed else { return [] }
        switch input {
        case let .line(line):
            return receiveLine(line)
        case let .chunk(bytes):
            return assembled(assembler.receive(literal: bytes))
        case .lineTooLong:
            assembler.reset()
            return bad(nil, "Line too long.")
        case .tlsStarted:
            secure = true
            return []
        case .timeout:
            state = .loggedOut
            return [.send("* BYE Disconnected for inactivity.\r\n"), .close]
        case .shutdown:
            state = .loggedOut
            return [.send("* BYE [UNAVAILABLE] Server shutting down.\r\n"), .close]
        case .eof:
            state = .loggedOut
            return []
        case .worked(.idleEnded):
            return []  // not the answer of the work pending (the idle poll's answer still comes)
        case let .worked(result):
            return worked(result)
        }
    }

    private mutating func receiveLine(_ line: ByteBuffer) -> [IMAPAction] {
        if let tag = idleTag {
            guard IMAPCommand.isIdleDone(line) else { return bad(nil, "Expected DONE.") }
            idleTag = nil
            // A poll still out is answered later and ignored then (pending stays until it comes back); `.endIdle`
            // makes it come back now instead of after the poll interval.
            return [.send("\(tag) OK Idle completed.\r\n")] + (idlePollOut ? [.perform(.endIdle)] : [])
        }
        if let (tag, exchange) = sasl {
            var exchange = exchange
            switch IMAPCommand.authenticateResponse(line) {
            case .cancel:
                sasl = nil
                return bad(tag, "Authentication cancelled.")
            case let .response(text):
                return saslStep(exchange.respond(text), tag: tag, exchange: exchange)
            }
        }
        return assembled(assembler.receive(line: line))
    }

    private mutating func assembled(_ step: IMAPCommandAssembler.Step) -> [IMAPAction] {
        switch step {
        case let .needLiteral(_, sendContinuation):
            return sendContinuation ? [.send(IMAPContinuation.readyForLiteral)] : []
        case .needMoreLiteral, .needLine:
            return []
        case let .rejected(error):
            var actions = [IMAPAction.send(error.response.rendered)]
            errors += 1
            if error.closeConnection || errors >= configuration.maximumErrors {
                state = .loggedOut
                actions += [.send("* BYE Too many errors.\r\n"), .close]
            }
            return actions
        case let .command(command):
            return self.command(command)
        }
    }

    // MARK: Dispatch

    private mutating func command(_ command: IMAPCommand) -> [IMAPAction] {
        let tag = command.tag
        switch (state, command.kind) {
        case (_, .capability):
            return [.send("* CAPABILITY \(capabilities.joined(separator: " "))\r\n"), ok(tag, "Capability completed.")]
        case (_, .logout):
            state = .loggedOut
            return [.send("* BYE Logging out.\r\n"), ok(tag, "Logout completed."), .close]
        case (.selected, .noop), (.selected, .check):
            return syncSelected(tag: tag, command: command.kind == .noop ? "NOOP" : "CHECK")
        case (_, .noop):
            return [ok(tag, "NOOP completed.")]
        case let (_, .id(parameters)):
            _ = parameters
            // The node's name too: behind a mail director, it tells which node a session landed on.
            let host = configuration.hostname.filter { $0 != "\"" && $0 != "\\" && $0 != "\r" && $0 != "\n" }
            return [.send("* ID (\"name\" \"Shoal\" \"host\" \"\(host)\")\r\n"), ok(tag, "ID completed.")]
        case (.notAuthenticated, .starttls):
            guard configuration.tlsAvailable, !secure else { return bad(tag, "TLS is not available here.") }
            return [ok(tag, "Begin TLS negotiation now."), .startTLS]
        case let (.notAuthenticated, .login(user, password)):
            guard mayLogIn else { return [no(tag, "[PRIVACYREQUIRED] Plaintext authentication disallowed without TLS.")] }
            pending = .login(tag: tag)
            return [.perform(.authenticate(login: user, password: password))]
        case let (.notAuthenticated, .authenticate(mechanism, initial)):
            guard mayLogIn else { return [no(tag, "[PRIVACYREQUIRED] Plaintext authentication disallowed without TLS.")] }
            guard let known = SASLMechanism(rawValue: mechanism.uppercased()), configuration.authenticationMechanisms.contains(known) else {
                return [no(tag, "Unsupported authentication mechanism.")]
            }
            var exchange = SASLExchange(mechanism: known)
            return saslStep(exchange.start(initialResponse: initial), tag: tag, exchange: exchange)
        case (.notAuthenticated, _):
            return bad(tag, "Log in first.")
        case (_, .starttls), (_, .login), (_, .authenticate):
            return bad(tag, "Already logged in.")
        default:
            return authenticatedCommand(command)
        }
    }

    private mutating func saslStep(_ step: SASLExchange.Step, tag: String, exchange: SASLExchange) -> [IMAPAction] {
        switch step {
        case let .challenge(text):
            sasl = (tag, exchange)
            return [.send(IMAPContinuation.line(text))]
        case let .credentials(login, password):
            sasl = nil
            pending = .login(tag: tag)
            return [.perform(.authenticate(login: login, password: password))]
        case .failed(.cancelled):
            sasl = nil
            return bad(tag, "Authentication cancelled.")
        case .failed:
            sasl = nil
            return bad(tag, "Invalid authentication data.")
        }
    }

    // MARK: Work answers

    private mutating func worked(_ result: IMAPWorkResult) -> [IMAPAction] {
        guard let pending = pending.take() else { return [] }
        switch pending {
        case let .login(tag):
            guard case let .authenticated(outcome) = result else { return [no(tag, "[SERVERBUG] Unexpected answer.")] }
            switch outcome {
            case .success:
                state = .authenticated
                return [ok(tag, "[CAPABILITY \(capabilities.joined(separator: " "))] Logged in.")]
            case .failure:
                return [no(tag, "[AUTHENTICATIONFAILED] Authentication failed.")]
            case .temporaryFailure:
                return [no(tag, "[UNAVAILABLE] Temporary authentication failure.")]
            }
        case let .idle(tag):
            idlePollOut = false
            guard idleTag == tag, case let .listing(listing) = result, selected != nil else { return [] }
            guard let responses = fold(listing, expungeAllowed: true) else { return invalidated() }
            return responses + idlePoll()
        default:
            return workedMailbox(pending, result)
        }
    }

    /// IDLE asks for the folder again (a poll) while idling.
    mutating func idlePoll() -> [IMAPAction] {
        guard let tag = idleTag, let box = selected, !idlePollOut else { return [] }
        idlePollOut = true
        pending = .idle(tag: tag)
        return [.perform(.idleWait(folder: box.folder, claimRecent: !box.readOnly))]
    }

    /// UIDVALIDITY changed under the selection: the session cannot go on meaningfully.
    mutating func invalidated() -> [IMAPAction] {
        state = .loggedOut
        return [.send("* BYE [UNAVAILABLE] The mailbox was recreated; please reconnect.\r\n"), .close]
    }

    // MARK: Responses

    func ok(_ tag: String, _ text: String) -> IMAPAction { .send("\(tag) OK \(text)\r\n") }
    func no(_ tag: String, _ text: String) -> IMAPAction { .send("\(tag) NO \(text)\r\n") }

    mutating func bad(_ tag: String?, _ text: String) -> [IMAPAction] {
        errors += 1
        var actions = [IMAPAction.send("\(tag ?? "*") BAD \(text)\r\n")]
        if errors >= configuration.maximumErrors {
            state = .loggedOut
            actions += [.send("* BYE Too many errors.\r\n"), .close]
        }
        return actions
    }

    func failed(_ tag: String, _ result: IMAPWorkResult) -> [IMAPAction] {
        if case let .failed(failure) = result { return [no(tag, failure.response)] }
        return [no(tag, "[SERVERBUG] Unexpected answer.")]
    }
}
