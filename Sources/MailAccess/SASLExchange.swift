/// One SASL exchange (PLAIN or LOGIN), pure: the protocol hands it the client's base64 lines and writes
/// the challenges it returns, in its own syntax (SMTP `334`, IMAP and POP3 `+`), until it yields credentials.
public struct SASLExchange: Hashable, Sendable {
    /// What the protocol does next.
    public enum Step: Hashable, Sendable {
        /// Send this challenge (already base64) and feed the next client line to ``respond(_:)``.
        case challenge(String)
        /// Check these credentials; the exchange is over.
        case credentials(login: String, password: String)
        /// The exchange failed; the exchange is over.
        case failed(SASLFailure)
    }

    private enum Stage: Hashable, Sendable {
        case plainResponse
        case loginUsername
        case loginPassword(username: String)
    }

    public let mechanism: SASLMechanism
    private var stage: Stage

    public init(mechanism: SASLMechanism) {
        self.mechanism = mechanism
        stage = mechanism == .plain ? .plainResponse : .loginUsername
    }

    /// Begins the exchange, with the initial response when the client sent one (`=` means empty, RFC 4954 §4).
    public mutating func start(initialResponse: String?) -> Step {
        if let initialResponse { return respond(initialResponse == "=" ? "" : initialResponse) }
        switch mechanism {
        case .plain: return .challenge("")
        case .login: return .challenge(SASLBase64.encode("Username:".utf8))
        }
    }

    /// Takes one client line (base64, or `*` to cancel).
    public mutating func respond(_ line: String) -> Step {
        if line == "*" { return .failed(.cancelled) }
        guard let decoded = SASLBase64.decode(line) else { return .failed(.cannotDecode) }
        switch stage {
        case .plainResponse:
            // RFC 4616: [authzid] NUL authcid NUL passwd; a different authzid (proxy login) is not supported.
            let parts = decoded.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3,
                  let authzid = Self.utf8(parts[0]),
                  let login = Self.utf8(parts[1]),
                  let password = Self.utf8(parts[2]),
                  !login.isEmpty, authzid.isEmpty || authzid == login
            else { return .failed(.malformedCredentials) }
            return .credentials(login: login, password: password)
        case .loginUsername:
            guard let login = Self.utf8(decoded), !login.isEmpty, !login.contains("\0") else { return .failed(.cannotDecode) }
            stage = .loginPassword(username: login)
            return .challenge(SASLBase64.encode("Password:".utf8))
        case let .loginPassword(login):
            guard let password = Self.utf8(decoded) else { return .failed(.cannotDecode) }
            return .credentials(login: login, password: password)
        }
    }

    private static func utf8(_ bytes: some Collection<UInt8>) -> String? {
        String(validating: Array(bytes), as: UTF8.self)
    }
}

/// Why a SASL exchange ended without credentials.
public enum SASLFailure: Hashable, Sendable {
    /// The client sent `*` (RFC 4954: 501 5.0.0; IMAP: BAD).
    case cancelled
    /// Not valid base64, or not UTF-8.
    case cannotDecode
    /// Decoded, but not the mechanism's shape (PLAIN without two NULs, an empty login, a proxy authzid).
    case malformedCredentials
}
