import Directory
public import Logging
public import MailAccess
public import MailStore
import NIOConcurrencyHelpers
import NIOCore

/// The work of one POP3 connection against the store: logs in, holds the maildrop lock while the session
/// is in the transaction state, reads and removes messages. ``close()`` gives the lock back however the
/// connection ends.
public final class POP3MaildropAgent: Sendable {
    private let store: MailStore
    private let authenticator: MailAuthenticator
    private let peer: String
    private let logger: Logger
    private let state = NIOLockedValueBox<(mailbox: Mailbox?, lock: MailboxSessionLock?)>((nil, nil))
    /// The messages read for the RETRs likely to come next.
    private let readAhead = NIOLockedValueBox(POP3ReadAhead())

    public init(store: MailStore, authenticator: MailAuthenticator, peer: String, logger: Logger) {
        self.store = store
        self.authenticator = authenticator
        self.peer = peer
        self.logger = logger
    }

    /// Does one piece of a session's work and returns the answer to feed back.
    public func perform(_ work: POP3Work) async -> POP3Input {
        switch work {
        case let .authenticate(login, password):
            return .authenticated(await authenticator.authenticate(login: login, password: password, peer: peer))
        case let .open(user):
            return .opened(await open(user))
        case let .retrieve(message, bodyLines, following):
            defer { startReadAhead(following) }
            return .retrieved(await retrieve(message, bodyLines: bodyLines))
        case let .commit(messages):
            return .committed(await commit(messages))
        }
    }

    /// The answer to `work` when it was read ahead (a RETR of one of the next messages); never blocks, so the
    /// event loop may call it. Reads more ahead when half of what was read is used.
    public func readyAnswer(_ work: POP3Work) -> POP3Input? {
        guard case let .retrieve(message, nil, following) = work,
              let bytes = readAhead.withLockedValue({ $0.take(message.uid) }) else { return nil }
        startReadAhead(following)
        return .retrieved(bytes)
    }

    /// Reads (some of) `following` on the store's pool for RETRs that may come.
    private func startReadAhead(_ following: POP3Following) {
        let chosen = readAhead.withLockedValue { $0.toRead(following) }
        guard !chosen.isEmpty else { return }
        Task(executorPreference: store.executor) { [self] in
            var read: [(uid: UInt32, bytes: ByteBuffer)] = []
            for message in chosen {
                guard let bytes = await retrieve(message, bodyLines: nil) else { break }
                read.append((message.uid, bytes))
            }
            // Kept only while the maildrop is open (a session that ended keeps nothing).
            let open = state.withLockedValue { $0.mailbox != nil }
            readAhead.withLockedValue { $0.finish(open ? read : []) }
        }
    }

    /// Releases the maildrop lock (the session ended, however it did).
    public func close() {
        readAhead.withLockedValue { $0.clear() }
        let lock = state.withLockedValue { current in
            defer { current = (nil, nil) }
            return current.lock
        }
        lock?.release()
    }

    private func open(_ user: DirectoryUser) async -> POP3OpenResult {
        do {
            let mailbox = try store.mailbox(for: MailboxLocator.owner(of: user))
            guard let lock = try await mailbox.lockSession("pop3") else { return .inUse }
            state.withLockedValue { $0 = (mailbox, lock) }
            let listing = try await mailbox.listing()
            var messages: [POP3Message] = []
            messages.reserveCapacity(listing.messages.count)
            for stored in listing.messages {
                var size = stored.virtualSize.map { Int($0) }
                if size == nil, let bytes = try await mailbox.contents(of: stored) { size = POP3Transfer.size(bytes) }
                guard let size else { continue }  // removed meanwhile
                messages.append(POP3Message(stored: stored, size: size,
                                            uidl: POP3Message.uidl(uid: stored.uid, uidValidity: listing.uidValidity)))
            }
            logger.info("maildrop opened", metadata: ["user": "\(user.login)", "messages": "\(messages.count)"])
            return .opened(POP3Maildrop(messages: messages))
        } catch {
            logger.error("cannot open maildrop", metadata: ["user": "\(user.login)", "error": "\(error)"])
            close()
            return .failed
        }
    }

    private func retrieve(_ message: StoredMessage, bodyLines: Int?) async -> ByteBuffer? {
        let (mailbox, lock) = state.withLockedValue { $0 }
        guard let mailbox else { return nil }
        lock?.refresh()
        do {
            guard let bytes = try await mailbox.contents(of: message) else { return nil }
            var out = ByteBuffer()
            POP3Transfer.encode(bytes, bodyLines: bodyLines, into: &out)
            return out
        } catch {
            logger.error("cannot read message", metadata: ["path": "\(message.path)", "error": "\(error)"])
            return nil
        }
    }

    private func commit(_ messages: [StoredMessage]) async -> Bool {
        let mailbox = state.withLockedValue { $0.mailbox }
        defer { close() }
        guard let mailbox else { return false }
        guard !messages.isEmpty else { return true }
        do {
            let removed = try await mailbox.remove(messages)
            logger.info("messages deleted", metadata: ["count": "\(removed.count)"])
            return true
        } catch {
            logger.error("cannot remove messages", metadata: ["error": "\(error)"])
            return false
        }
    }
}
