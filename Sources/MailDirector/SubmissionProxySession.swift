import MailAccess
public import NIOCore
public import ShoalServer
import SMTPServer

/// The director's side of a submission connection before AUTH, pure: greeting, EHLO/HELO, STARTTLS,
/// AUTH PLAIN (with an initial response or after `334`), NOOP, RSET, QUIT; everything else is refused with
/// 530 until the client authenticated. The node's `235` is passed on before the splice (the node got its own
/// EHLO from the director first). Commands are parsed by SMTPServer's grammar.
public struct SubmissionProxySession: MailProxySession {
    enum State: Hashable, Sendable {
        case greeted
        case authenticating
        case routing
        case spliced
        case closed
    }

    public let configuration: MailProxyConfiguration
    private(set) var state = State.greeted
    private var secure: Bool
    private var errors = 0
    private var failedLogins = 0
    private var sawEHLO = false

    public init(configuration: MailProxyConfiguration) {
        self.configuration = configuration
        self.secure = configuration.implicitTLS
    }

    public var inputMode: LineInputMode { .line }
    public var isRouting: Bool { state == .routing }
    public var isClosed: Bool { state == .closed || state == .spliced }

    public func backendLogin(_ login: MailLogin) -> any MailBackendConversation {
        SubmissionBackendLogin(login: login, hostname: configuration.hostname)
    }

    public mutating func start() -> [MailProxyAction] {
        [.send("220 \(configuration.hostname) ESMTP Shoal mail director\r\n")]
    }

    /// The EHLO answer before AUTH.
    var ehloReply: String {
        var lines = [configuration.hostname] + configuration.capabilities
        if configuration.tlsAvailable && !secure { lines.append("STARTTLS") }
        if configuration.mayLogIn(secure: secure) { lines.append("AUTH PLAIN") }
        return lines.enumerated().map { n, line in (n == lines.count - 1 ? "250 " : "250-") + line }.joined(separator: "\r\n") + "\r\n"
    }

    public mutating func receive(_ event: MailProxyEvent) -> [MailProxyAction] {
        guard !isClosed else { return [] }
        switch event {
        case let .line(line):
            if state == .authenticating { return saslResponse(String(decoding: line.readableBytesView, as: UTF8.self)) }
            guard state == .greeted else { return [] }
            return command(Array(line.readableBytesView))
        case .lineTooLong:
            if state == .authenticating { state = .greeted }
            return error("500 5.5.6 Line too long\r\n")
        case .chunk:
            return []
        case .tlsStarted:
            secure = true
            sawEHLO = false
            return []
        case .timeout:
            state = .closed
            return [.send("421 4.4.2 \(configuration.hostname) Timeout, closing connection\r\n"), .close]
        case .eof:
            state = .closed
            return []
        case let .routed(result):
            guard state == .routing else { return [] }
            switch result {
            case let .accepted(answer):
                state = .spliced
                return [.send("\(answer)\r\n"), .splice]
            case .refused:
                state = .greeted
                failedLogins += 1
                let reply = MailProxyAction.send("535 5.7.8 Authentication credentials invalid\r\n")
                guard failedLogins < configuration.maximumFailedLogins else {
                    state = .closed
                    return [reply, .send("421 4.7.0 Too many failed logins\r\n"), .close]
                }
                return [reply]
            case .unavailable:
                state = .greeted
                return [.send("454 4.7.0 No mail server is available for this user; try again later\r\n")]
            }
        }
    }

    private mutating func command(_ bytes: [UInt8]) -> [MailProxyAction] {
        let command: SMTPCommand
        do {
            command = try SMTPCommand.parse(bytes)
        } catch {
            return self.error(error.reply.rendered())
        }
        switch command {
        case .ehlo:
            sawEHLO = true
            return [.send(ehloReply)]
        case .helo:
            sawEHLO = true
            return [.send("250 \(configuration.hostname)\r\n")]
        case .noop:
            return [.send("250 2.0.0 OK\r\n")]
        case .rset:
            return [.send("250 2.0.0 OK\r\n")]
        case .quit:
            state = .closed
            return [.send("221 2.0.0 Bye\r\n"), .close]
        case .starttls:
            guard configuration.tlsAvailable, !secure else { return error("502 5.5.1 TLS is not available here\r\n") }
            return [.send("220 2.0.0 Ready to start TLS\r\n"), .startTLS]
        case let .auth(mechanism, initialResponse):
            guard sawEHLO else { return error("503 5.5.1 EHLO first\r\n") }
            guard mechanism.uppercased() == "PLAIN" else { return error("504 5.5.4 Unsupported authentication mechanism\r\n") }
            guard configuration.mayLogIn(secure: secure) else { return error("538 5.7.11 Encryption required for requested authentication mechanism\r\n") }
            guard let initialResponse else {
                state = .authenticating
                return [.send("334 \r\n")]
            }
            return sasl(initialResponse == "=" ? "" : initialResponse)
        default:
            return error("530 5.7.0 Authentication required\r\n")
        }
    }

    private mutating func saslResponse(_ text: String) -> [MailProxyAction] {
        state = .greeted
        if text == "*" { return error("501 5.0.0 Authentication cancelled\r\n") }
        return sasl(text)
    }

    private mutating func sasl(_ response: String) -> [MailProxyAction] {
        var exchange = SASLExchange(mechanism: .plain)
        guard case let .credentials(login, password) = exchange.respond(response) else {
            state = .greeted
            return error("501 5.5.2 Invalid SASL PLAIN response\r\n")
        }
        state = .routing
        return [.route(MailLogin(user: login, password: password))]
    }

    private mutating func error(_ text: String) -> [MailProxyAction] {
        errors += 1
        guard errors < configuration.maximumErrors else {
            state = .closed
            return [.send(text), .send("421 4.7.0 Too many errors\r\n"), .close]
        }
        return [.send(text)]
    }
}
