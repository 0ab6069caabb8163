import IMAPServer
import MailAccess
public import NIOCore
public import ShoalServer

/// The director's side of an IMAP connection before login, pure: greeting, CAPABILITY, NOOP, ID, LOGOUT,
/// STARTTLS, LOGIN and AUTHENTICATE PLAIN (with SASL-IR); a login becomes `.route`, and once the node
/// accepted it the node's tagged answer goes to the client and the connection is spliced. Lines are cut by
/// the driver; commands (with literals) are assembled and parsed by IMAPServer's grammar.
public struct IMAPProxySession: MailProxySession {
    enum State: Hashable, Sendable {
        case notAuthenticated
        /// AUTHENTICATE PLAIN sent `+`; the next line is the client's response.
        case authenticating(tag: String)
        case routing(tag: String)
        case spliced
        case closed
    }

    public let configuration: MailProxyConfiguration
    private(set) var state = State.notAuthenticated
    private var assembler: IMAPCommandAssembler
    private var secure: Bool
    private var errors = 0
    private var failedLogins = 0
    /// The greeting, made once: a listener copies one session per connection (see `MailProxyService`).
    private let greeting: String

    public init(configuration: MailProxyConfiguration) {
        self.configuration = configuration
        self.secure = configuration.implicitTLS
        // Before login nothing needs more than a user name and password.
        self.assembler = IMAPCommandAssembler(limits: .init(maximumLiteralSize: 4096, maximumMessageSize: 4096, maximumLiteralCount: 4,
                                                            maximumCommandSize: 16 * 1024))
        let capabilities = Self.capabilityList(configuration, secure: configuration.implicitTLS)
        self.greeting = "* OK [CAPABILITY \(capabilities.joined(separator: " "))] \(configuration.hostname) Shoal mail director ready.\r\n"
    }

    public var inputMode: LineInputMode {
        let pending = assembler.pendingLiteralOctets
        return pending > 0 ? .chunk(remaining: pending) : .line
    }

    public var isRouting: Bool { if case .routing = state { true } else { false } }
    public var isClosed: Bool { state == .closed || state == .spliced }

    /// The capabilities before login.
    public var capabilities: [String] { Self.capabilityList(configuration, secure: secure) }

    private static func capabilityList(_ configuration: MailProxyConfiguration, secure: Bool) -> [String] {
        var list = configuration.capabilities
        if configuration.tlsAvailable && !secure { list.append("STARTTLS") }
        list.append(configuration.mayLogIn(secure: secure) ? "AUTH=PLAIN" : "LOGINDISABLED")
        return list
    }

    public func backendLogin(_ login: MailLogin) -> any MailBackendConversation { IMAPBackendLogin(login: login) }

    public mutating func start() -> [MailProxyAction] { [.send(greeting)] }

    public mutating func receive(_ event: MailProxyEvent) -> [MailProxyAction] {
        guard !isClosed else { return [] }
        switch event {
        case let .line(line):
            if case let .authenticating(tag) = state { return saslResponse(line, tag: tag) }
            guard case .notAuthenticated = state else { return [] }
            return assembled(assembler.receive(line: line))
        case let .chunk(bytes):
            guard case .notAuthenticated = state else { return [] }
            return assembled(assembler.receive(literal: bytes))
        case .lineTooLong:
            assembler.reset()
            if case let .authenticating(tag) = state {
                state = .notAuthenticated
                return error("\(tag) BAD Authentication response too long.\r\n")
            }
            return error("* BAD [TOOBIG] Command line too long.\r\n")
        case .tlsStarted:
            secure = true
            return []
        case .timeout:
            state = .closed
            return [.send("* BYE Disconnected for inactivity.\r\n"), .close]
        case .eof:
            state = .closed
            return []
        case let .routed(result):
            guard case let .routing(tag) = state else { return [] }
            switch result {
            case let .accepted(answer):
                state = .spliced
                return [.send("\(tag) \(answer)\r\n"), .splice]
            case let .refused(text):
                state = .notAuthenticated
                failedLogins += 1
                let text = Self.printable(text, fallback: "Authentication failed.")
                let reply = MailProxyAction.send("\(tag) NO \(text.hasPrefix("[") ? text : "[AUTHENTICATIONFAILED] " + text)\r\n")
                guard failedLogins < configuration.maximumFailedLogins else {
                    state = .closed
                    return [reply, .send("* BYE Too many failed logins.\r\n"), .close]
                }
                return [reply]
            case .unavailable:
                state = .notAuthenticated
                return [.send("\(tag) NO [UNAVAILABLE] No mail server is available for this user; try again later.\r\n")]
            }
        }
    }

    // MARK: Commands

    private mutating func assembled(_ step: IMAPCommandAssembler.Step) -> [MailProxyAction] {
        switch step {
        case let .needLiteral(_, sendContinuation):
            return sendContinuation ? [.send("+ Ready for literal data\r\n")] : []
        case .needMoreLiteral, .needLine:
            return []
        case let .rejected(failure):
            var actions = error(failure.response.rendered)
            if failure.closeConnection, !isClosed {
                state = .closed
                actions.append(.close)
            }
            return actions
        case let .command(command):
            return run(command)
        }
    }

    private mutating func run(_ command: IMAPCommand) -> [MailProxyAction] {
        let tag = command.tag
        switch command.kind {
        case .capability:
            return [.send("* CAPABILITY \(capabilities.joined(separator: " "))\r\n\(tag) OK Capability completed.\r\n")]
        case .noop:
            return [.send("\(tag) OK NOOP completed.\r\n")]
        case .id:
            return [.send("* ID (\"name\" \"Shoal mail director\")\r\n\(tag) OK ID completed.\r\n")]
        case .logout:
            state = .closed
            return [.send("* BYE Logging out.\r\n\(tag) OK Logout completed.\r\n"), .close]
        case .starttls:
            guard configuration.tlsAvailable, !secure else { return error("\(tag) BAD TLS is not available here.\r\n") }
            return [.send("\(tag) OK Begin TLS negotiation now.\r\n"), .startTLS]
        case let .login(user, password):
            guard configuration.mayLogIn(secure: secure) else {
                return error("\(tag) NO [PRIVACYREQUIRED] Plaintext login is disabled; use STARTTLS.\r\n")
            }
            return route(tag: tag, MailLogin(user: user, password: password))
        case let .authenticate(mechanism, initialResponse):
            guard mechanism.uppercased() == "PLAIN" else {
                return error("\(tag) NO [CANNOT] Unsupported authentication mechanism.\r\n")
            }
            guard configuration.mayLogIn(secure: secure) else {
                return error("\(tag) NO [PRIVACYREQUIRED] Plaintext authentication is disabled; use STARTTLS.\r\n")
            }
            guard let initialResponse else {
                state = .authenticating(tag: tag)
                return [.send("+ \r\n")]
            }
            return sasl(tag: tag, initialResponse == "=" ? "" : initialResponse)
        default:
            return error("\(tag) BAD Log in first.\r\n")
        }
    }

    private mutating func saslResponse(_ line: ByteBuffer, tag: String) -> [MailProxyAction] {
        state = .notAuthenticated
        let text = String(decoding: line.readableBytesView, as: UTF8.self)
        if text == "*" { return error("\(tag) BAD Authentication cancelled.\r\n") }
        return sasl(tag: tag, text)
    }

    private mutating func sasl(tag: String, _ response: String) -> [MailProxyAction] {
        var exchange = SASLExchange(mechanism: .plain)
        switch exchange.respond(response) {
        case let .credentials(login, password):
            return route(tag: tag, MailLogin(user: login, password: password))
        case .challenge, .failed:
            return error("\(tag) BAD Invalid SASL PLAIN response.\r\n")
        }
    }

    private mutating func route(tag: String, _ login: MailLogin) -> [MailProxyAction] {
        state = .routing(tag: tag)
        return [.route(login)]
    }

    /// An error answer; past the limit the session ends.
    private mutating func error(_ text: String) -> [MailProxyAction] {
        errors += 1
        guard errors < configuration.maximumErrors else {
            state = .closed
            return [.send(text), .send("* BYE Too many invalid commands.\r\n"), .close]
        }
        return [.send(text)]
    }

    /// A node's text made safe for a response line (printable ASCII, at most 200 characters).
    static func printable(_ text: String, fallback: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(200)))
        return cleaned.isEmpty ? fallback : cleaned
    }
}
