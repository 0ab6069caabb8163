public import ShoalCore

/// One health check of a real server, keepalived style: what to probe and how often.
public struct CheckSpec: Hashable, Sendable {
    /// Seconds between checks (keepalived `delay_loop`).
    public var delayLoop: Double
    /// Seconds allowed for connecting and for each protocol step.
    public var connectTimeout: Double
    /// Extra attempts before an attempt counts as a failed check (keepalived `retry`).
    public var retry: Int
    /// Seconds between a failed attempt and its retry.
    public var delayBeforeRetry: Double
    /// Consecutive good checks that bring a down server up.
    public var rise: Int
    /// Consecutive failed checks that bring an up server down.
    public var fall: Int
    /// Probe this address instead of the server's (keepalived `connect_ip`).
    public var connectIP: IPAddress?
    /// Probe this port instead of the server's (keepalived `connect_port`).
    public var connectPort: UInt16?
    /// What to probe and the parameters of that kind.
    public var kind: CheckKind

    public init(kind: CheckKind, delayLoop: Double = 5, connectTimeout: Double = 3, retry: Int = 1,
                delayBeforeRetry: Double = 1, rise: Int = 1, fall: Int = 1,
                connectIP: IPAddress? = nil, connectPort: UInt16? = nil) {
        self.kind = kind
        self.delayLoop = delayLoop
        self.connectTimeout = connectTimeout
        self.retry = retry
        self.delayBeforeRetry = delayBeforeRetry
        self.rise = rise
        self.fall = fall
        self.connectIP = connectIP
        self.connectPort = connectPort
    }

    /// The endpoint probed for `server`, after the connect_ip / connect_port overrides.
    public func target(for server: Endpoint) -> Endpoint {
        Endpoint(connectIP ?? server.address, connectPort ?? server.port)
    }
}

/// The kind of a check with its own parameters.
public enum CheckKind: Hashable, Sendable {
    /// A TCP connect.
    case tcp
    /// An HTTP/1.0 GET whose status, body and digest are checked.
    case http(HTTPCheck)
    /// An SMTP banner 220, then EHLO answered 250, then QUIT.
    case smtp(heloName: String)
    /// A POP3 greeting +OK, then QUIT.
    case pop3
    /// An IMAP greeting `* OK` or `* PREAUTH`, then LOGOUT.
    case imap
    /// An ICP v2 SECHO probe over UDP answered with a well-formed reply.
    case icp
    /// An external command run with `/bin/sh -c` (keepalived MISC_CHECK).
    case command(CommandCheck)

    /// The YAML `type` word of this kind.
    public var name: String {
        switch self {
        case .tcp: return "tcp"
        case .http: return "http"
        case .smtp: return "smtp"
        case .pop3: return "pop3"
        case .imap: return "imap"
        case .icp: return "icp"
        case .command: return "command"
        }
    }
}

/// The parameters of an HTTP check (keepalived HTTP_GET).
public struct HTTPCheck: Hashable, Sendable {
    /// The request path, starting with `/`.
    public var path: String
    /// The statuses that count as good.
    public var status: HTTPStatusSet
    /// A substring the body must contain.
    public var body: String?
    /// The MD5 of the body as 32 lowercase hex digits (keepalived `digest`).
    public var digest: String?
    /// The Host header to send instead of the probed address.
    public var virtualhost: String?

    public init(path: String = "/", status: HTTPStatusSet = .default, body: String? = nil, digest: String? = nil,
                virtualhost: String? = nil) {
        self.path = path
        self.status = status
        self.body = body
        self.digest = digest?.lowercased()
        self.virtualhost = virtualhost
    }

    /// Whether the checker must read the body (to look for a substring or compute a digest).
    public var needsBody: Bool { body != nil || digest != nil }
}

/// The parameters of a command check (keepalived MISC_CHECK).
public struct CommandCheck: Hashable, Sendable {
    /// The command line, run as `/bin/sh -c COMMAND`.
    public var command: String
    /// Seconds before the command is killed and the attempt fails; nil means the check's delay_loop.
    public var timeout: Double?
    /// keepalived `misc_dynamic`: exit 0 keeps the weight, 1 is down, 2...255 is up with weight = code - 2.
    public var dynamicWeight: Bool

    public init(command: String, timeout: Double? = nil, dynamicWeight: Bool = false) {
        self.command = command
        self.timeout = timeout
        self.dynamicWeight = dynamicWeight
    }
}
