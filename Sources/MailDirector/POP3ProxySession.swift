import MailAccess
public import NIOCore
import POP3Server
public import ShoalServer

/// The director's side of a POP3 connection before login, pure: greeting, CAPA, STLS, USER/PASS and
/// AUTH PLAIN (with an initial response), QUIT; a login becomes `.route`, and the node's `+OK` is passed on
/// before the splice. Commands are parsed by POP3Server's grammar.
public struct POP3ProxySession: MailProxySession {
    enum State: Hashable, Sendable {
        case authorization(user: String?)
        /// AUTH PLAIN sent `+ `; the next line is the client's response.
        case authenticating
        case routing
        case spliced
        case closed
    }

    public let configuration: MailProxyConfiguration
    private(set) var state = State.authorization(user: nil)
    private var secure: Bool
    private var errors = 0
    private var failedLogins = 0

    public init(configuration: MailProxyConfiguration) {
        self.configuration = configuration
        self.secure = configuration.implicitTLS
    }

    public var inputMode: LineInputMode { .line }
    public var isRouting: Bool { state == .routing }
    public var isClosed: Bool { state == .closed || state == .spliced }

    public func backendLogin(_ login: MailLogin) -> any MailBackendConversation { POP3BackendLogin(login: login) }

    public mutating func start() -> [MailProxyAction] {
        [.send("+OK \(configuration.hostname) Shoal mail director ready.\r\n")]
    }

    /// The CAPA answer before login.
    var capabilityList: String {
        var lines = ["+OK Capability list follows", "CAPA"] + configuration.capabilities
        if configuration.mayLogIn(secure: secure) { lines += ["USER", "SASL PLAIN"] }
        if configuration.tlsAvailable && !secure { lines.append("STLS") }
        return (lines + ["IMPLEMENTATION Shoal mail director", "."]).joined(separator: "\r\n") + "\r\n"
    }

    public mutating func receive(_ event: MailProxyEvent) -> [MailProxyAction] {
        guard !isClosed else { return [] }
        switch event {
        case let .line(line):
            let text = String(decoding: line.readableBytesView, as: UTF8.self)
            if state == .authenticating { return saslResponse(text) }
            guard case let .authorization(user) = state else { return [] }
            return command(text, user: user)
        case .lineTooLong:
            if state == .authenticating { state = .authorization(user: nil) }
            return error("-ERR Line too long.\r\n")
        case .chunk:
            return []
        case .tlsStarted:
            secure = true
            return []
        case .timeout:
            state = .closed
            return [.send("-ERR Disconnected for inactivity.\r\n"), .close]
        case .eof:
            state = .closed
            return []
        case let .routed(result):
            guard state == .routing else { return [] }
            switch result {
            case let .accepted(answer):
                state = .spliced
                return [.send("\(answer)\r\n"), .splice]
            case let .refused(text):
                state = .authorization(user: nil)
                failedLogins += 1
                let trimmed = text.drop { $0 == " " }
                let reply = MailProxyAction.send("-ERR \(IMAPProxySession.printable(String(trimmed), fallback: "[AUTH] Authentication failed."))\r\n")
                guard failedLogins < configuration.maximumFailedLogins else {
                    state = .closed
                    return [reply, .close]
                }
                return [reply]
            case .unavailable:
                state = .authorization(user: nil)
                return [.send("-ERR [SYS/TEMP] No mail server is available for this user; try again later.\r\n")]
            }
        }
    }

    private mutating func command(_ text: String, user: String?) -> [MailProxyAction] {
        let command: POP3Command
        switch POP3Command.parse(text) {
        case let .success(parsed): command = parsed
        case let .failure(failure):
            switch failure {
            case let .unknownCommand(keyword): return error("-ERR Unknown command: \(IMAPProxySession.printable(keyword, fallback: "?")).\r\n")
            case let .badArguments(keyword, expected): return error("-ERR \(keyword) expects \(expected).\r\n")
            }
        }
        switch command {
        case .capa:
            return [.send(capabilityList)]
        case .quit:
            state = .closed
            return [.send("+OK Bye.\r\n"), .close]
        case .stls:
            guard configuration.tlsAvailable, !secure else { return error("-ERR TLS is not available here.\r\n") }
            return [.send("+OK Begin TLS negotiation now.\r\n"), .startTLS]
        case let .user(name):
            guard configuration.mayLogIn(secure: secure) else { return plaintextRefused() }
            state = .authorization(user: name)
            return [.send("+OK\r\n")]
        case let .pass(password):
            guard configuration.mayLogIn(secure: secure) else { return plaintextRefused() }
            guard let user else { return error("-ERR USER first.\r\n") }
            state = .routing
            return [.route(MailLogin(user: user, password: password))]
        case let .auth(mechanism, initialResponse):
            guard let mechanism else { return [.send("+OK\r\nPLAIN\r\n.\r\n")] }
            guard mechanism.uppercased() == "PLAIN" else { return error("-ERR Unsupported authentication mechanism.\r\n") }
            guard configuration.mayLogIn(secure: secure) else { return plaintextRefused() }
            guard let initialResponse else {
                state = .authenticating
                return [.send("+ \r\n")]
            }
            return sasl(initialResponse == "=" ? "" : initialResponse)
        default:
            return error("-ERR Log in first.\r\n")
        }
    }

    private mutating func plaintextRefused() -> [MailProxyAction] {
        state = .authorization(user: nil)
        return error("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n")
    }

    private mutating func saslResponse(_ text: String) -> [MailProxyAction] {
        state = .authorization(user: nil)
        if text == "*" { return error("-ERR Authentication cancelled.\r\n") }
        return sasl(text)
    }

    private mutating func sasl(_ response: String) -> [MailProxyAction] {
        var exchange = SASLExchange(mechanism: .plain)
        guard case let .credentials(login, password) = exchange.respond(response) else {
            state = .authorization(user: nil)
            return error("-ERR Invalid SASL PLAIN response.\r\n")
        }
        state = .routing
        return [.route(MailLogin(user: login, password: password))]
    }

    private mutating func error(_ text: String) -> [MailProxyAction] {
        errors += 1
        guard errors < configuration.maximumErrors else {
            state = .closed
            return [.send(text), .send("-ERR Too many invalid commands.\r\n"), .close]
        }
        return [.send(text)]
    }
}
