public import Logging
public import MailAccess
public import MailStore
import NIOConcurrencyHelpers

/// Does the work of one IMAP connection against the directory and the store. After a successful login it
/// holds the user's mailbox; every folder operation goes through it.
public final class IMAPMailboxAgent: Sendable {
    private let store: MailStore
    private let authenticator: MailAuthenticator
    private let peer: String
    private let logger: Logger
    private let mailbox = NIOLockedValueBox<Mailbox?>(nil)
    private let summaries: IMAPSummaryCache
    /// IDLE's waits: inotify on the folder where the store has it, polling where not.
    let idle: IMAPIdleWaiter
    /// How often IDLE looks at a folder that is not watched (polling configured, a network filesystem).
    public var idlePollInterval: Duration { idle.pollInterval }
    /// How often IDLE looks at a watched folder anyway, in case a notification was missed.
    public var idleSafetyPollInterval: Duration { idle.safetyPollInterval }

    public init(store: MailStore, authenticator: MailAuthenticator, peer: String, logger: Logger,
                summaries: IMAPSummaryCache = IMAPSummaryCache(), idlePollInterval: Duration = .milliseconds(500),
                idleSafetyPollInterval: Duration = .seconds(30)) {
        self.summaries = summaries
        idle = IMAPIdleWaiter(pollInterval: idlePollInterval, safetyPollInterval: idleSafetyPollInterval)
        self.store = store
        self.authenticator = authenticator
        self.peer = peer
        self.logger = logger
    }

    public func perform(_ work: IMAPWork) async -> IMAPWorkResult {
        if case let .authenticate(login, password) = work { return await authenticate(login: login, password: password) }
        if case .endIdle = work {
            idle.end()
            return .idleEnded
        }
        guard let mailbox = mailbox.withLockedValue({ $0 }) else {
            return .failed(IMAPStoreFailure(code: "SERVERBUG", text: "Not logged in."))
        }
        do throws(MailStoreError) {
            return try await perform(work, on: mailbox)
        } catch {
            let failure = Self.failure(error)
            if failure.code == "SERVERBUG" || failure.code == "UNAVAILABLE" {
                logger.error("IMAP store work failed", metadata: ["error": "\(error)"])
            }
            return .failed(failure)
        }
    }

    private func authenticate(login: String, password: String) async -> IMAPWorkResult {
        let outcome = await authenticator.authenticate(login: login, password: password, peer: peer)
        if case let .success(user) = outcome {
            do throws(MailStoreError) {
                let box = try store.mailbox(for: MailboxLocator.owner(of: user))
                mailbox.withLockedValue { $0 = box }
            } catch {
                logger.error("no mailbox for user", metadata: ["user": "\(user.login)", "error": "\(error)"])
                return .authenticated(.temporaryFailure)
            }
        }
        return .authenticated(outcome)
    }

    /// The listing after this session claimed its `\Recent` messages: those still in `new/` (moved to `cur/`)
    /// and those above the folder's recent floor (copies and appends that went straight to `cur/`). `isNew`
    /// then means `\Recent` for this session. A message gone meanwhile is left out (the next listing shows it
    /// expunged).
    private func claimingNew(_ listing: FolderListing, folder: String, on mailbox: Mailbox) async throws(MailStoreError) -> FolderListing {
        var result = listing
        let indices = listing.messages.indices.filter { listing.messages[$0].isNew }
        var takenElsewhere = Set<UInt32>()
        if !indices.isEmpty {
            let claimed = try await mailbox.claimNew(indices.map { listing.messages[$0] }, folder: folder)
            var gone = Set<Int>()
            for (index, message) in zip(indices, claimed) {
                if let message {
                    result.messages[index] = message
                    if !message.isNew { takenElsewhere.insert(message.uid) }
                } else {
                    gone.insert(index)
                }
            }
            if !gone.isEmpty { result.messages = result.messages.indices.filter { !gone.contains($0) }.map { result.messages[$0] } }
        }
        let aboveFloor = try await mailbox.claimRecent(result, excluding: takenElsewhere, folder: folder)
        if !aboveFloor.isEmpty {
            for index in result.messages.indices where aboveFloor.contains(result.messages[index].uid) { result.messages[index].isNew = true }
        }
        return result
    }

    private func perform(_ work: IMAPWork, on mailbox: Mailbox) async throws(MailStoreError) -> IMAPWorkResult {
        switch work {
        case .authenticate:
            return .failed(IMAPStoreFailure(code: "SERVERBUG", text: "Already logged in."))
        case .folders:
            return .folders(try await mailbox.folders(), subscribed: try await mailbox.subscriptions())
        case let .listing(folder, claim):
            let listing = try await mailbox.listing(folder: folder)
            return .listing(claim ? try await claimingNew(listing, folder: folder, on: mailbox) : listing)
        case let .listings(folders):
            var listings: [FolderListing?] = []
            for folder in folders { listings.append(try? await mailbox.listing(folder: folder)) }
            return .listings(listings)
        case let .idleWait(folder, claim):
            // After any wake, DONE included: a stale DONE may end the next IDLE's first wait, and its session then
            // needs the listing to go on waiting.
            let wake = await idle.wait(folder: folder, mailbox: mailbox)
            if wake == .ended && idle.isClosed { return .done }
            let listing = try await mailbox.listing(folder: folder)
            return .listing(claim ? try await claimingNew(listing, folder: folder, on: mailbox) : listing)
        case .endIdle:
            return .idleEnded
        case let .create(folder):
            try await mailbox.createFolder(folder)
            return .done
        case let .delete(folder):
            try await mailbox.deleteFolder(folder)
            return .done
        case let .rename(folder, newName):
            try await mailbox.renameFolder(folder, to: newName)
            return .done
        case let .subscribe(folder, subscribed):
            try await mailbox.setSubscribed(folder, subscribed)
            return .done
        case let .messageData(messages, folder, contents, dates, wantSummaries):
            let folderPath = try mailbox.folderPath(folder)
            let keys = messages.map { Self.cacheKey($0) }
            let cached = wantSummaries ? await summaries.summaries(folderPath: folderPath, keys: keys) : [:]
            var computed: [String: IMAPMessageSummary] = [:]
            var bytesByIndex: [Int: [UInt8]] = [:]
            // The bytes of every message that needs them, a batch per piece of thread-pool work: a summary-only
            // FETCH covers many messages at once, but holds at most a batch of their bytes.
            let reading = messages.indices.filter { contents || (wantSummaries && cached[keys[$0]] == nil) }
            for start in stride(from: 0, to: reading.count, by: imapMessageBatch) {
                let indices = reading[start..<min(start + imapMessageBatch, reading.count)]
                let read = try await mailbox.contents(of: indices.map { messages[$0] }, folder: folder)
                for (index, bytes) in zip(indices, read) {
                    guard let bytes else { continue }
                    if wantSummaries && cached[keys[index]] == nil { computed[keys[index]] = IMAPMessageSummary(message: bytes) }
                    if contents { bytesByIndex[index] = bytes }
                }
            }
            let receivedDates = dates ? try await mailbox.receivedDates(of: messages, folder: folder) : []
            let data = messages.indices.map { index in
                IMAPMessageData(uid: messages[index].uid, contents: bytesByIndex[index],
                                receivedDate: dates ? receivedDates[index] : nil,
                                summary: cached[keys[index]] ?? computed[keys[index]])
            }
            await summaries.store(folderPath: folderPath, computed)
            return .messageData(data)
        case let .setFlags(updates, folder):
            var results: [StoredMessage?] = []
            for update in updates {
                results.append(try await mailbox.setFlags(update.message, folder: folder, flags: update.flags, keywords: update.keywords))
            }
            return .flagsSet(results)
        case let .expunge(messages, folder):
            return .expunged(try await mailbox.remove(messages, folder: folder))
        case let .copy(messages, source, target, move):
            let pairs = try await mailbox.copy(messages, from: source, to: target)
            // After the copy: a folder's first message is what creates its UIDVALIDITY.
            let targetListing = try await mailbox.listing(folder: target)
            if move {
                let copied = Set(pairs.map(\.source))
                try await mailbox.remove(messages.filter { copied.contains($0.uid) }, folder: source)
            }
            return .copied(uidValidity: targetListing.uidValidity, pairs: pairs)
        case let .append(bytes, folder, flags, keywords, date):
            let delivered = try await mailbox.append(bytes, folder: folder, flags: flags, keywords: keywords, receivedDate: date)
            return .appended(uidValidity: delivered.uidValidity, uid: delivered.uid)
        }
    }

    /// The connection closed: an IDLE wait under way returns and the folder watch is given up.
    public func close() {
        idle.close()
    }

    /// The summary cache's key: the file's base name, which flag changes never alter.
    static func cacheKey(_ message: StoredMessage) -> String {
        String(message.filename.prefix { $0 != ":" })
    }

    /// The IMAP response code for a store error (RFC 5530).
    static func failure(_ error: MailStoreError) -> IMAPStoreFailure {
        switch error {
        case let .noSuchFolder(name, _):
            IMAPStoreFailure(code: "TRYCREATE", text: "Mailbox doesn't exist: \(name)")
        case let .folderExists(name, _):
            IMAPStoreFailure(code: "ALREADYEXISTS", text: "Mailbox already exists: \(name)")
        case let .invalidFolder(name, reason):
            IMAPStoreFailure(code: "CANNOT", text: "Invalid mailbox name \(name): \(reason)")
        case .quotaExceeded:
            IMAPStoreFailure(code: "OVERQUOTA", text: "Quota exceeded.")
        case let .invalidKeyword(keyword, reason):
            IMAPStoreFailure(code: "CANNOT", text: "Invalid keyword \(keyword): \(reason)")
        case .tooManyKeywords:
            IMAPStoreFailure(code: "LIMIT", text: "Too many keywords in this mailbox.")
        case .lockTimeout, .threadPoolInactive, .cancelled, .lockLost:
            IMAPStoreFailure(code: "UNAVAILABLE", text: "The mailbox is busy, try again.")
        case .io, .corruptFile, .invalidOwner:
            IMAPStoreFailure(code: "SERVERBUG", text: "Internal error; see the server log.")
        }
    }
}
