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
    /// How often IDLE looks at the folder (the store is shared by several nodes, so it is polled).
    public let idlePollInterval: Duration

    public init(store: MailStore, authenticator: MailAuthenticator, peer: String, logger: Logger,
                summaries: IMAPSummaryCache = IMAPSummaryCache(), idlePollInterval: Duration = .milliseconds(500)) {
        self.summaries = summaries
        self.idlePollInterval = idlePollInterval
        self.store = store
        self.authenticator = authenticator
        self.peer = peer
        self.logger = logger
    }

    public func perform(_ work: IMAPWork) async -> IMAPWorkResult {
        if case let .authenticate(login, password) = work { return await authenticate(login: login, password: password) }
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

    private func perform(_ work: IMAPWork, on mailbox: Mailbox) async throws(MailStoreError) -> IMAPWorkResult {
        switch work {
        case .authenticate:
            return .failed(IMAPStoreFailure(code: "SERVERBUG", text: "Already logged in."))
        case .folders:
            return .folders(try await mailbox.folders(), subscribed: try await mailbox.subscriptions())
        case let .listing(folder):
            return .listing(try await mailbox.listing(folder: folder))
        case let .listings(folders):
            var listings: [FolderListing?] = []
            for folder in folders { listings.append(try? await mailbox.listing(folder: folder)) }
            return .listings(listings)
        case let .idleWait(folder):
            try? await Task.sleep(for: idlePollInterval)
            return .listing(try await mailbox.listing(folder: folder))
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
            var data: [IMAPMessageData] = []
            data.reserveCapacity(messages.count)
            // The bytes of every message that needs them, read in one go.
            let reading = messages.enumerated().filter { contents || (wantSummaries && cached[keys[$0.offset]] == nil) }
            let read = reading.isEmpty ? [] : try await mailbox.contents(of: reading.map(\.element), folder: folder)
            var bytesByIndex: [Int: [UInt8]] = [:]
            for (entry, bytes) in zip(reading, read) { if let bytes { bytesByIndex[entry.offset] = bytes } }
            for (index, (message, key)) in zip(messages, keys).enumerated() {
                var summary = cached[key]
                let bytes = bytesByIndex[index]
                if wantSummaries && summary == nil, let bytes {
                    summary = IMAPMessageSummary(message: bytes)
                    computed[key] = summary
                }
                data.append(IMAPMessageData(
                    uid: message.uid, contents: contents ? bytes : nil,
                    receivedDate: dates ? try await mailbox.receivedDate(of: message, folder: folder) : nil,
                    summary: summary))
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
