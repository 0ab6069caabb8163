/// The webmail's settings (the `webmail:` block of a mail node's configuration); every field has a default.
public struct WebmailSettings: Sendable {
    /// Seconds without a request after which a session ends.
    public var idleTimeoutSeconds: Double
    /// Seconds after sign-in after which a session ends.
    public var absoluteTimeoutSeconds: Double
    /// Messages per page of the message list.
    public var pageSize: Int
    /// Logins allowed to the user administration pages.
    public var admins: Set<String>
    /// Served over TLS: the cookie is `__Host-` prefixed and `Secure`, and HSTS is sent. False only on a loopback
    /// listener where plain HTTP was explicitly allowed.
    public var secure: Bool
    /// The node's name (in `Received:` and Message-IDs).
    public var hostname: String
    /// The largest message a user may send (bytes, with attachments).
    public var maximumMessageBytes: Int
    /// The most sessions at once.
    public var maximumSessions: Int
    /// Where administrative changes are appended (one line each); nil: the log only.
    public var auditLogPath: String?

    public init(idleTimeoutSeconds: Double = 30 * 60, absoluteTimeoutSeconds: Double = 12 * 3600, pageSize: Int = 50,
                admins: Set<String> = [], secure: Bool = true, hostname: String = "localhost",
                maximumMessageBytes: Int = 25 * 1024 * 1024, maximumSessions: Int = 10_000, auditLogPath: String? = nil) {
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.absoluteTimeoutSeconds = absoluteTimeoutSeconds
        self.pageSize = pageSize
        self.admins = admins
        self.secure = secure
        self.hostname = hostname
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumSessions = maximumSessions
        self.auditLogPath = auditLogPath
    }

    /// The session cookie's name: `__Host-` (Secure, path `/`, no domain: no subdomain can set it) over TLS.
    public var cookieName: String { secure ? "__Host-shoal-webmail" : "shoal-webmail" }
}
