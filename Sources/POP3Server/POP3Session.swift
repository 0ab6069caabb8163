import MailAccess
import MailStore
import NIOCore

/// One POP3 session (RFC 1939 with CAPA, STLS, AUTH and response codes), pure: lines and work answers in,
/// replies and work out. The maildrop is fixed at login; DELE only marks, QUIT in the transaction state
/// removes what was marked (the UPDATE state), and any other end removes nothing.
public struct POP3Session: Sendable {
    enum State: Sendable {
        case authorization(user: String?)
        case sasl(SASLExchange)
        /// Credentials or the maildrop are being checked.
        case loggingIn
        case transaction
        /// RETR/TOP or the final QUIT is out.
        case working
        case closed
    }

    public let configuration: POP3SessionConfiguration
    private(set) var state: State = .authorization(user: nil)
    public private(set) var secure: Bool
    private var maildrop = POP3Maildrop(messages: [])
    private var deleted: Set<Int> = []
    private var errors = 0
    /// The reply head of the RETR or TOP under way.
    private var pendingRetrieve: Int?

    public init(configuration: POP3SessionConfiguration) {
        self.configuration = configuration
        secure = configuration.implicitTLS
    }

    public mutating func start() -> [POP3Action] {
        [.reply("+OK \(configuration.hostname) Shoal POP3 ready.")]
    }

    public var isClosed: Bool { if case .closed = state { true } else { false } }

    public var isWaiting: Bool {
        switch state {
        case .loggingIn, .working: true
        default: false
        }
    }

    public var isBetweenCommands: Bool {
        switch state {
        case .authorization, .transaction: true
        default: false
        }
    }

    var mayAuthenticate: Bool { secure || configuration.allowPlaintextAuthentication }

    public mutating func receive(_ input: POP3Input) -> [POP3Action] {
        guard !isClosed else { return [] }
        switch input {
        case let .line(buffer):
            return line(String(decoding: buffer.readableBytesView, as: UTF8.self))
        case .lineTooLong:
            return error("-ERR Line too long.")
        case .tlsStarted:
            secure = true
            return []
        case .timeout:
            state = .closed
            return [.reply("-ERR Disconnected for inactivity."), .close]
        case .shutdown:
            state = .closed
            return [.reply("-ERR [SYS/TEMP] Server shutting down."), .close]
        case .eof:
            state = .closed
            return []
        case let .authenticated(outcome):
            return authenticated(outcome)
        case let .opened(result):
            return opened(result)
        case let .retrieved(bytes):
            return retrieved(bytes)
        case let .committed(complete):
            state = .closed
            return complete ? [.reply(deleted.isEmpty ? "+OK Logging out." : "+OK Logging out, messages deleted."), .close]
                : [.reply("-ERR [SYS/TEMP] Some deleted messages could not be removed."), .close]
        }
    }

    // MARK: Lines

    private mutating func line(_ text: String) -> [POP3Action] {
        if case var .sasl(exchange) = state {
            return sasl(exchange.respond(text), exchange: exchange)
        }
        switch POP3Command.parse(text) {
        case let .failure(.unknownCommand(keyword)):
            return error("-ERR Unknown command: \(keyword)")
        case let .failure(.badArguments(keyword, expected)):
            return error("-ERR \(keyword) takes \(expected).")
        case let .success(command):
            return self.command(command)
        }
    }

    private mutating func command(_ command: POP3Command) -> [POP3Action] {
        switch (state, command) {
        case (_, .capa):
            return [.reply(capabilities())]
        case (_, .noop) where isInTransaction:
            return [.reply("+OK")]
        case (.authorization, .quit):
            state = .closed
            return [.reply("+OK Logging out."), .close]
        case (.transaction, .quit):
            // Through the commit even with nothing to delete: it gives the maildrop lock back before the +OK,
            // so a client that logs in again (on any node) right after it is not refused [IN-USE].
            let marked = deleted.sorted().map { maildrop.messages[$0 - 1].stored }
            state = .working
            return [.commit(marked)]
        case (.authorization, .stls):
            guard configuration.tlsAvailable, !secure else { return error("-ERR TLS is not available here.") }
            state = .authorization(user: nil)
            return [.reply("+OK Begin TLS negotiation now."), .startTLS]
        case let (.authorization, .user(name)):
            guard mayAuthenticate else { return plaintextRefused() }
            state = .authorization(user: name)
            return [.reply("+OK")]
        case let (.authorization(user), .pass(password)):
            guard mayAuthenticate else { return plaintextRefused() }
            guard let user else { return error("-ERR No user name given (USER first).") }
            state = .loggingIn
            return [.authenticate(login: user, password: password)]
        case let (.authorization, .auth(mechanism, initial)):
            return auth(mechanism: mechanism, initialResponse: initial)
        case (.transaction, _):
            return transaction(command)
        case (.authorization, _):
            return error("-ERR Log in first.")
        default:
            return error("-ERR Not now.")
        }
    }

    private var isInTransaction: Bool { if case .transaction = state { true } else { false } }

    private func capabilities() -> String {
        var lines = ["+OK Capability list follows", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"]
        if case .authorization = state {
            if mayAuthenticate {
                lines.append("USER")
                lines.append((["SASL"] + configuration.authenticationMechanisms.map(\.rawValue)).joined(separator: " "))
            }
            if configuration.tlsAvailable && !secure { lines.append("STLS") }
        }
        lines.append("IMPLEMENTATION Shoal")
        lines.append(".")
        return lines.joined(separator: "\r\n")
    }

    // MARK: Authorization

    private mutating func plaintextRefused() -> [POP3Action] {
        state = .authorization(user: nil)
        return error("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.")
    }

    private mutating func auth(mechanism: String?, initialResponse: String?) -> [POP3Action] {
        guard let mechanism else {
            // The mechanism list, as many clients probe for it (de-facto, before RFC 5034's CAPA SASL).
            return [.reply((["+OK"] + configuration.authenticationMechanisms.map(\.rawValue) + ["."]).joined(separator: "\r\n"))]
        }
        guard mayAuthenticate else { return plaintextRefused() }
        guard let known = SASLMechanism(rawValue: mechanism), configuration.authenticationMechanisms.contains(known) else {
            return error("-ERR Unsupported authentication mechanism.")
        }
        var exchange = SASLExchange(mechanism: known)
        return sasl(exchange.start(initialResponse: initialResponse), exchange: exchange)
    }

    private mutating func sasl(_ step: SASLExchange.Step, exchange: SASLExchange) -> [POP3Action] {
        switch step {
        case let .challenge(text):
            state = .sasl(exchange)
            return [.reply("+ " + text)]
        case let .credentials(login, password):
            state = .loggingIn
            return [.authenticate(login: login, password: password)]
        case .failed(.cancelled):
            state = .authorization(user: nil)
            return error("-ERR Authentication cancelled.")
        case .failed:
            state = .authorization(user: nil)
            return error("-ERR [AUTH] Invalid authentication data.")
        }
    }

    private mutating func authenticated(_ outcome: MailAuthenticator.Outcome) -> [POP3Action] {
        switch outcome {
        case let .success(user):
            return [.open(user)]
        case .failure:
            state = .authorization(user: nil)
            return error("-ERR [AUTH] Authentication failed.")
        case .temporaryFailure:
            state = .authorization(user: nil)
            return [.reply("-ERR [SYS/TEMP] Temporary authentication failure.")]
        }
    }

    private mutating func opened(_ result: POP3OpenResult) -> [POP3Action] {
        switch result {
        case let .opened(drop):
            maildrop = drop
            deleted = []
            state = .transaction
            return [.reply("+OK Logged in.")]
        case .inUse:
            state = .authorization(user: nil)
            return [.reply("-ERR [IN-USE] Mailbox is locked by another POP3 session.")]
        case .failed:
            state = .authorization(user: nil)
            return [.reply("-ERR [SYS/TEMP] The mailbox cannot be opened now.")]
        }
    }

    // MARK: Transaction

    private mutating func transaction(_ command: POP3Command) -> [POP3Action] {
        switch command {
        case .stat:
            let live = liveNumbers
            return [.reply("+OK \(live.count) \(live.reduce(0) { $0 + maildrop.messages[$1 - 1].size })")]
        case let .list(number?):
            return message(number) { "+OK \(number) \($0.size)" }
        case .list(nil):
            let live = liveNumbers
            let lines = live.map { "\($0) \(maildrop.messages[$0 - 1].size)" }
            return [.reply((["+OK \(live.count) messages"] + lines + ["."]).joined(separator: "\r\n"))]
        case let .uidl(number?):
            return message(number) { "+OK \(number) \($0.uidl)" }
        case .uidl(nil):
            let lines = liveNumbers.map { "\($0) \(maildrop.messages[$0 - 1].uidl)" }
            return [.reply((["+OK"] + lines + ["."]).joined(separator: "\r\n"))]
        case let .retr(number):
            return retrieve(number, bodyLines: nil)
        case let .top(number, lines):
            return retrieve(number, bodyLines: lines)
        case let .dele(number):
            let check = message(number) { _ in "+OK Marked to be deleted." }
            if case .reply(let text) = check.first, text.hasPrefix("+OK") { deleted.insert(number) }
            return check
        case .rset:
            deleted = []
            return [.reply("+OK")]
        default:
            return error("-ERR Already logged in.")
        }
    }

    private var liveNumbers: [Int] {
        maildrop.messages.indices.map { $0 + 1 }.filter { !deleted.contains($0) }
    }

    /// The reply for a valid, undeleted message number, else the error.
    private mutating func message(_ number: Int, _ reply: (POP3Message) -> String) -> [POP3Action] {
        guard number >= 1, number <= maildrop.messages.count else { return error("-ERR There's no message \(number).") }
        guard !deleted.contains(number) else { return error("-ERR Message is deleted.") }
        return [.reply(reply(maildrop.messages[number - 1]))]
    }

    private mutating func retrieve(_ number: Int, bodyLines: Int?) -> [POP3Action] {
        let check = message(number) { _ in "" }
        guard case .reply("") = check.first else { return check }
        state = .working
        pendingRetrieve = number
        // After a RETR a client most likely asks for the next messages it has not deleted, in order.
        let following = bodyLines == nil ? POP3Following(after: number, in: maildrop.messages, deleted: deleted) : .none
        return [.retrieve(maildrop.messages[number - 1].stored, bodyLines: bodyLines, following: following)]
    }

    private mutating func retrieved(_ bytes: ByteBuffer?) -> [POP3Action] {
        state = .transaction
        guard let number = pendingRetrieve.take() else { return [] }
        guard let bytes else { return [.reply("-ERR Message \(number) was removed by another session.")] }
        return [.reply("+OK \(maildrop.messages[number - 1].size) octets"), .send(bytes)]
    }

    // MARK: Errors

    private mutating func error(_ text: String) -> [POP3Action] {
        errors += 1
        if errors >= configuration.maximumErrors {
            state = .closed
            return [.reply(text), .reply("-ERR Too many bad commands, closing."), .close]
        }
        return [.reply(text)]
    }
}
