/// A SASL mechanism the mail protocols offer (RFC 4422): the names SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH use.
public enum SASLMechanism: String, Hashable, Sendable, CaseIterable {
    /// RFC 4616: `[authzid] NUL authcid NUL passwd` in one response.
    case plain = "PLAIN"
    /// The de-facto LOGIN mechanism: user name, then password, each answering a challenge.
    case login = "LOGIN"
}
