import Directory
import NIOCore
@testable import SMTPServer
import ShoalCore

// Helpers for driving an SMTPSession by hand. Names start with `smtp` to stay clear of other test files.

/// 2023-11-14 22:13:20 UTC, a Tuesday.
let smtpFixedTime = SMTPTimestamp(secondsSince1970: 1_700_000_000)

/// A configuration with a fixed clock and id.
func smtpConfiguration(
    mode: SMTPSessionConfiguration.Mode = .smtp,
    maximumMessageSize: Int = 1000,
    maximumRecipients: Int = 100,
    maximumErrors: Int = 10,
    tlsAvailable: Bool = true,
    requireTLS: Bool = false,
    requireAuthentication: Bool = false,
    allowPlaintextAuthentication: Bool = false,
    localDomains: [String] = [],
    relayHost: String? = nil,
    overQuotaIsPermanent: Bool = false,
    chunking: Bool = true
) -> SMTPSessionConfiguration {
    SMTPSessionConfiguration(
        mode: mode, hostname: "mx.example.org", maximumMessageSize: maximumMessageSize,
        maximumRecipients: maximumRecipients, maximumErrors: maximumErrors, tlsAvailable: tlsAvailable,
        requireTLS: requireTLS, requireAuthentication: requireAuthentication,
        allowPlaintextAuthentication: allowPlaintextAuthentication, localDomains: localDomains, relayHost: relayHost,
        overQuotaIsPermanent: overQuotaIsPermanent, chunking: chunking,
        now: { smtpFixedTime }, makeID: { "4TESTID" })
}

/// A local user as the directory would return it.
func smtpUser(_ login: String) -> DirectoryUser {
    DirectoryUser(login: login, addresses: ["\(login)@example.org"])
}

/// Short text of an action: the rendered reply (lines joined by `|`), or a tag for the others.
func smtpShow(_ action: SMTPAction) -> String {
    switch action {
    case let .reply(reply): return reply.description.replacing("\r\n", with: "|")
    case let .checkRecipient(address, mailFrom): return "check <\(address)> from <\(mailFrom)>"
    case let .authenticate(login, password): return "authenticate \(login) \(password)"
    case let .deliver(envelope): return "deliver \(envelope.id) to \(envelope.recipients.map(\.address).joined(separator: ","))"
    case .startTLS: return "starttls"
    case .close: return "close"
    }
}

/// A session plus conveniences; `last` keeps the latest actions (for envelopes).
struct SMTPDriver {
    var session: SMTPSession
    var lastActions: [SMTPAction] = []

    init(_ configuration: SMTPSessionConfiguration = smtpConfiguration(), peer: String = "192.0.2.7", secure: Bool = false) {
        session = SMTPSession(configuration: configuration, peer: peer, secure: secure)
    }

    mutating func start() -> [String] { record(session.start()) }

    /// Feeds one line (without CR LF).
    @discardableResult
    mutating func line(_ text: String) -> [String] { record(session.receive(.line(ByteBuffer(string: text)))) }

    /// Feeds raw bytes as one line.
    @discardableResult
    mutating func line(bytes: [UInt8]) -> [String] { record(session.receive(.line(ByteBuffer(bytes: bytes)))) }

    @discardableResult
    mutating func feed(_ input: SMTPInput) -> [String] { record(session.receive(input)) }

    @discardableResult
    mutating func chunk(_ text: String) -> [String] { record(session.receive(.chunk(ByteBuffer(string: text)))) }

    /// EHLO (or LHLO) and the reply.
    @discardableResult
    mutating func hello(_ name: String = "client.example.net") -> [String] {
        line(session.configuration.mode == .lmtp ? "LHLO \(name)" : "EHLO \(name)")
    }

    /// RCPT answered by the directory with `check`.
    @discardableResult
    mutating func rcpt(_ address: String, _ check: RecipientCheck = .local(smtpUser("bob"))) -> [String] {
        let asked = line("RCPT TO:<\(address)>")
        guard asked.first?.hasPrefix("check") == true else { return asked }
        return asked + feed(.recipientChecked(check))
    }

    /// The envelope of the last `.deliver`.
    var envelope: SMTPEnvelope? {
        for case let .deliver(envelope) in lastActions { return envelope }
        return nil
    }

    private mutating func record(_ actions: [SMTPAction]) -> [String] {
        lastActions = actions
        return actions.map(smtpShow)
    }
}

extension SMTPEnvelope {
    var messageText: String { String(decoding: message.readableBytesView, as: UTF8.self) }
}
