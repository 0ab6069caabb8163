public import Directory
public import Logging
public import MailStore
import NIOCore

/// What an SMTP/LMTP session asks of the outside world: recipient checks, logins and delivery.
public protocol MailAgent: Sendable {
    func checkRecipient(address: String, mailFrom: String) async -> RecipientCheck
    func authenticate(login: String, password: String) async -> SMTPAuthenticationResult
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
    let logger: Logger

    public init(directory: any UserDirectory, store: MailStore, localDomains: [String], relay: RelayClient? = nil,
                logger: Logger = Logger(label: "shoal.smtp.agent")) {
        self.directory = directory
        self.store = store
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.relay = relay
        self.logger = logger
    }

    static func domain(of address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return String(address[address.index(after: at)...]).lowercased()
    }

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

    public func authenticate(login: String, password: String) async -> SMTPAuthenticationResult {
        do {
            switch try await directory.authenticate(login: login, password: password) {
            case let .success(user): return .success(user: user.login)
            case .unknownUser, .wrongPassword, .disabled: return .failure
            }
        } catch {
            logger.warning("authentication lookup failed", metadata: ["login": "\(login)", "error": "\(error)"])
            return .temporaryFailure
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
        let domain = user.login.contains("@") ? nil : Self.domain(of: user.primaryAddress ?? address)
        return MailboxOwner(login: user.login, domain: domain?.isEmpty == true ? nil : domain, location: user.mailbox,
                            quotaBytes: user.quotaBytes, quotaMessages: user.quotaMessages)
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
