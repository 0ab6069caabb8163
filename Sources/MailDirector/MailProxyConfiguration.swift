/// What a pre-authentication proxy session says and allows (one per mail proxy service).
public struct MailProxyConfiguration: Hashable, Sendable {
    /// The director's name, in greetings.
    public var hostname: String
    /// IMAP capabilities (POP3 CAPA lines, SMTP EHLO keywords) offered before login, besides the STARTTLS and
    /// AUTH ones the session adds: the nodes' own list, so a client sees the same server before and after.
    public var capabilities: [String]
    /// STARTTLS can be offered (a certificate is configured).
    public var tlsAvailable = false
    /// The listener speaks TLS from the first byte (993/995/465).
    public var implicitTLS = false
    /// Logins over plaintext are accepted (otherwise only after STARTTLS or on implicit TLS).
    public var allowPlaintextAuthentication = false
    /// Refused or malformed commands before the session is closed.
    public var maximumErrors = 10
    /// Failed logins before the session is closed.
    public var maximumFailedLogins = 3

    public init(hostname: String, capabilities: [String]) {
        self.hostname = hostname
        self.capabilities = capabilities
    }

    /// The base capability list of a Shoal IMAP node (without STARTTLS, AUTH= and LOGINDISABLED).
    public static let shoalIMAPCapabilities = [
        "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "CHILDREN",
        "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES",
    ]
    /// The CAPA lines of a Shoal POP3 node (without STLS and SASL).
    public static let shoalPOP3Capabilities = ["TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"]
    /// The EHLO keywords of a Shoal submission node (without STARTTLS and AUTH).
    public static let shoalSubmissionCapabilities = ["PIPELINING", "SIZE 26214400", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8"]

    /// True when a login may be taken now.
    func mayLogIn(secure: Bool) -> Bool { secure || implicitTLS || allowPlaintextAuthentication }
}
