import MailAccess

/// Replays a login to a submission node, pure: after the `220` greeting, `EHLO` with the director's name,
/// then `AUTH PLAIN` with an initial response (RFC 4954), then the node's `235` (accepted) or `5xx` (refused).
public struct SubmissionBackendLogin: MailBackendConversation {
    enum State: Hashable, Sendable { case greeting, ehlo, login, done }

    private let login: MailLogin
    private let hostname: String
    private var state = State.greeting

    public init(login: MailLogin, hostname: String) {
        self.login = login
        self.hostname = hostname
    }

    public mutating func start() -> [String] { [] }

    public mutating func receive(_ line: String) -> MailBackendStep {
        switch state {
        case .greeting:
            // A multi-line greeting goes on with 220-; only the last line counts.
            if line.hasPrefix("220-") { return .send([]) }
            guard line.hasPrefix("220") else { return fail() }
            state = .ehlo
            return .send(["EHLO \(hostname)"])
        case .ehlo:
            if line.hasPrefix("250-") { return .send([]) }
            guard line.hasPrefix("250") else { return fail() }
            state = .login
            return .send(["AUTH PLAIN \(SASLBase64.encode(Array("\0\(login.user)\0\(login.password)".utf8)))"])
        case .login:
            state = .done
            if line.hasPrefix("235") { return .finished(.accepted(line)) }
            if line.hasPrefix("535") || line.hasPrefix("5") { return .finished(.refused(line)) }
            return .finished(.unavailable)
        case .done:
            return .send([])
        }
    }

    private mutating func fail() -> MailBackendStep {
        state = .done
        return .finished(.unavailable)
    }
}
