import MailAccess

/// Replays a login to a POP3 node, pure: after the `+OK` greeting, `AUTH PLAIN` with an initial response
/// (RFC 5034), then the node's `+OK` (accepted) or `-ERR` (refused).
public struct POP3BackendLogin: MailBackendConversation {
    enum State: Hashable, Sendable { case greeting, login, done }

    private let login: MailLogin
    private var state = State.greeting

    public init(login: MailLogin) { self.login = login }

    public mutating func start() -> [String] { [] }

    public mutating func receive(_ line: String) -> MailBackendStep {
        switch state {
        case .greeting:
            guard line.hasPrefix("+OK") else {
                state = .done
                return .finished(.unavailable)
            }
            state = .login
            let response = SASLBase64.encode(Array("\0\(login.user)\0\(login.password)".utf8))
            return .send(["AUTH PLAIN \(response)"])
        case .login:
            state = .done
            if line.hasPrefix("+OK") { return .finished(.accepted(line)) }
            if line.hasPrefix("-ERR") { return .finished(.refused(String(line.dropFirst(4)))) }
            return .finished(.unavailable)
        case .done:
            return .send([])
        }
    }
}
