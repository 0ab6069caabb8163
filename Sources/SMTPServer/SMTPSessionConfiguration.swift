public import MailAccess
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant for trace headers: seconds since 1970 UTC and the offset to print (RFC 5322 zone).
public struct SMTPTimestamp: Hashable, Sendable {
    public var secondsSince1970: Int64
    /// The zone offset to print, in minutes east of UTC (0 prints `+0000`).
    public var utcOffsetMinutes: Int

    public init(secondsSince1970: Int64, utcOffsetMinutes: Int = 0) {
        self.secondsSince1970 = secondsSince1970
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Now, in UTC.
    public static func current() -> SMTPTimestamp {
        SMTPTimestamp(secondsSince1970: Int64(time(nil)))
    }
}

/// Everything an ``SMTPSession`` needs to know about the server; every field has a default but the host name.
public struct SMTPSessionConfiguration: Sendable {
    /// SMTP (RFC 5321) or LMTP (RFC 2033).
    public enum Mode: String, Hashable, Sendable {
        case smtp
        case lmtp
    }

    /// SASL mechanisms (RFC 4954) the session can run.
    public typealias AuthenticationMechanism = SASLMechanism

    /// The message size limit when none is configured: 25 MiB (the one default of the session and the node's YAML).
    public static let defaultMaximumMessageSize = 25 * 1024 * 1024

    /// SMTP or LMTP.
    public var mode: Mode
    /// This server's name: in the greeting, EHLO reply, 421 replies and the Received: header.
    public var hostname: String
    /// Greeting text after the host name; nil for `ESMTP Shoal` (SMTP) or `LMTP Shoal` (LMTP).
    public var banner: String?
    /// Largest accepted message in octets, advertised as `SIZE` (RFC 1870).
    public var maximumMessageSize: Int
    /// Most recipients per transaction; more get 452 4.5.3 (RFC 5321 requires accepting at least 100).
    public var maximumRecipients: Int
    /// After this many client errors the session replies 421 4.7.0 and closes.
    public var maximumErrors: Int
    /// Longest line in octets including CR LF; give the same value to the ``CRLFLineDecoder`` (RFC 5321 §4.5.3.1.6).
    public var maximumLineLength: Int
    /// STARTTLS can be offered (the glue has a TLS configuration).
    public var tlsAvailable: Bool
    /// Commands other than EHLO/HELO/LHLO, STARTTLS, NOOP, RSET and QUIT need TLS first (530 5.7.0).
    public var requireTLS: Bool
    /// MAIL needs a successful AUTH first (530 5.7.0), as on a submission port.
    public var requireAuthentication: Bool
    /// Offer and accept AUTH without TLS. Off by default: without TLS AUTH gets 538 5.7.11.
    public var allowPlaintextAuthentication: Bool
    /// Mechanisms offered in EHLO (SMTP only); empty for none.
    public var authenticationMechanisms: [AuthenticationMechanism]
    /// Domains this server delivers for, compared without regard to case. When not empty, a recipient in
    /// another domain is remote without asking the directory; when empty, the directory decides every recipient.
    public var localDomains: [String]
    /// Where relayed mail goes; nil forbids relaying. Relaying is allowed only to authenticated clients.
    public var relayHost: String?
    /// Over-quota recipients get 552 5.2.2 instead of the temporary 452 4.2.2.
    public var overQuotaIsPermanent: Bool
    /// Offer CHUNKING and BINARYMIME (RFC 3030).
    public var chunking: Bool
    /// Offer SMTPUTF8 (RFC 6531).
    public var smtputf8: Bool
    /// The address the domainless `RCPT TO:<Postmaster>` is checked as; nil for `postmaster@<hostname>`.
    public var postmaster: String?
    /// The clock for Received: headers.
    public var now: @Sendable () -> SMTPTimestamp
    /// Makes the id of each transaction (in Received: and `queued as`).
    public var makeID: @Sendable () -> String

    public init(
        mode: Mode = .smtp,
        hostname: String,
        banner: String? = nil,
        maximumMessageSize: Int = SMTPSessionConfiguration.defaultMaximumMessageSize,
        maximumRecipients: Int = 100,
        maximumErrors: Int = 10,
        maximumLineLength: Int = 1000,
        tlsAvailable: Bool = false,
        requireTLS: Bool = false,
        requireAuthentication: Bool = false,
        allowPlaintextAuthentication: Bool = false,
        authenticationMechanisms: [AuthenticationMechanism] = [.plain, .login],
        localDomains: [String] = [],
        relayHost: String? = nil,
        overQuotaIsPermanent: Bool = false,
        chunking: Bool = true,
        smtputf8: Bool = true,
        postmaster: String? = nil,
        now: @escaping @Sendable () -> SMTPTimestamp = { SMTPTimestamp.current() },
        makeID: @escaping @Sendable () -> String = { SMTPSessionConfiguration.randomID() }
    ) {
        self.mode = mode
        self.hostname = hostname
        self.banner = banner
        self.maximumMessageSize = max(1, maximumMessageSize)
        self.maximumRecipients = max(1, maximumRecipients)
        self.maximumErrors = max(1, maximumErrors)
        self.maximumLineLength = max(2, maximumLineLength)
        self.tlsAvailable = tlsAvailable
        self.requireTLS = requireTLS
        self.requireAuthentication = requireAuthentication
        self.allowPlaintextAuthentication = allowPlaintextAuthentication
        self.authenticationMechanisms = authenticationMechanisms
        self.localDomains = localDomains
        self.relayHost = relayHost
        self.overQuotaIsPermanent = overQuotaIsPermanent
        self.chunking = chunking
        self.smtputf8 = smtputf8
        self.postmaster = postmaster
        self.now = now
        self.makeID = makeID
    }

    /// A 12-character id from an alphabet without vowels (so ids never spell words).
    public static func randomID() -> String {
        let alphabet = Array("0123456789BCDFGHJKLMNPQRSTVWXZ".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] }, as: UTF8.self)
    }

    /// True when `domain` is one of ``localDomains``.
    func isLocalDomain(_ domain: String) -> Bool {
        let lowered = domain.lowercased()
        return localDomains.contains { $0.lowercased() == lowered }
    }
}
