public import Directory
public import Logging
public import MailAccess
public import MailStore
import NIOCore

/// What an SMTP/LMTP session asks of the outside world: recipient checks, logins and delivery.
public protocol MailAgent: Sendable {
    func checkRecipient(address: String, mailFrom: String) async -> RecipientCheck
    /// Checks a login; `peer` (the client's address) lets failures from one address be slowed down.
    func authenticate(login: String, password: String, peer: String) async -> SMTPAuthenticationResult
    func deliver(_ envelope: SMTPEnvelope) async -> [DeliveryOutcome]
}

/// Checks recipients in the directory and delivers into the shared Maildir++ store; relays through a
/// relay host when one is configured (the session allows relaying only to authenticated clients).
public struct LocalDeliveryAgent: MailAgent {
    public let directory: any UserDirectory
    public let store: MailStore
    /// Domains this node receives mail for; empty means every domain the directory knows users in.
    public let localDomains: Set<String>
    public let relay: RelayClient?
    public let authenticator: MailAuthenticator
    let logger: Logger

    public init(directory: any UserDirectory, store: MailStore, localDomains: [String], relay: RelayClient? = nil,
                authenticator: MailAuthenticator? = nil, logger: Logger = Logger(label: "shoal.smtp.agent")) {
        self.directory = directory
        self.authenticator = authenticator ?? MailAuthenticator(directory: directory, logger: logger)
        self.store = store
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.relay = relay
        self.logger = logger
    }

    static func domain(of address: String) -> String { MailboxLocator.domainPart(of: address) }

    public func checkRecipient(address: String, mailFrom: String) async -> RecipientCheck {
        let domain = Self.domain(of: address)
        if !localDomains.isEmpty && !localDomains.contains(domain) { return .remote }
        do {
            guard let user = try await directory.user(address: address) else {
                return localDomains.isEmpty ? .remote : .unknown
            }
            guard user.enabled else { return .disabled }
            // Only users with a quota need their usage read (a mailbox without maildirsize is counted file by file).
            guard user.quotaBytes != nil || user.quotaMessages != nil else { return .local(user, overQuota: false) }
            let usage = try await store.mailbox(for: owner(user, address: address)).usage()
            return .local(user, overQuota: usage.isOverQuota)
        } catch {
            logger.warning("recipient check failed", metadata: ["address": "\(address)", "error": "\(error)"])
            return .temporaryFailure
        }
    }

    public func authenticate(login: String, password: String, peer: String) async -> SMTPAuthenticationResult {
        switch await authenticator.authenticate(login: login, password: password, peer: peer) {
        case let .success(user): .success(user: user.login)
        case .failure: .failure
        case .temporaryFailure: .temporaryFailure
        }
    }

    public func deliver(_ envelope: SMTPEnvelope) async -> [DeliveryOutcome] {
        let bytes = Array(envelope.message.readableBytesView)
        var outcomes: [DeliveryOutcome] = []
        var relayed: [Int] = []
        for (i, recipient) in envelope.recipients.enumerated() {
            switch recipient.destination {
            case let .local(user):
                do {
                    let mailbox = try store.mailbox(for: owner(user, address: recipient.address))
                    let delivered = try await mailbox.deliver(bytes)
                    logger.info("delivered", metadata: ["id": "\(envelope.id)", "to": "\(recipient.address)", "uid": "\(delivered.uid)"])
                    outcomes.append(.delivered)
                } catch {
                    if case .quotaExceeded = error {
                        outcomes.append(.overQuota)
                    } else {
                        logger.error("delivery failed", metadata: ["id": "\(envelope.id)", "to": "\(recipient.address)", "error": "\(error)"])
                        outcomes.append(.temporaryFailure("local delivery failed"))
                    }
                }
            case .relay:
                outcomes.append(.temporaryFailure("no relay host"))
                relayed.append(i)
            }
        }
        if !relayed.isEmpty, let relay {
            let recipients = relayed.map { envelope.recipients[$0].address }
            let result = await relay.send(from: envelope.mailFrom, to: recipients, message: Array(envelope.messageWithoutReturnPath.readableBytesView))
            for (n, i) in relayed.enumerated() { outcomes[i] = result[n] }
        }
        return outcomes
    }

    func owner(_ user: DirectoryUser, address: String) -> MailboxOwner {
        MailboxLocator.owner(of: user, address: address)
    }
}

extension QuotaUsage {
    /// True when the mailbox is at or over either limit (new mail would not fit).
    var isOverQuota: Bool {
        if let limit = limitBytes, bytes >= limit { return true }
        if let limit = limitMessages, messages >= limit { return true }
        return false
    }
}
