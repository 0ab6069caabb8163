public import Directory
import Foundation
public import Logging
import NIOConcurrencyHelpers

/// Logs users in against the directory for every mail protocol, holding back failed answers per client
/// address (``FailedLoginDelay``).
public final class MailAuthenticator: Sendable {
    /// The outcome a protocol turns into its reply.
    public enum Outcome: Hashable, Sendable {
        /// Good credentials of an enabled account.
        case success(DirectoryUser)
        /// Unknown user, wrong password or disabled account (the client is not told which).
        case failure
        /// The directory could not be asked.
        case temporaryFailure
    }

    public let directory: any UserDirectory
    private let delay: NIOLockedValueBox<FailedLoginDelay>
    private let logger: Logger

    public init(directory: any UserDirectory, delay: FailedLoginDelay = FailedLoginDelay(),
                logger: Logger = Logger(label: "shoal.mail.auth")) {
        self.directory = directory
        self.delay = NIOLockedValueBox(delay)
        self.logger = logger
    }

    /// Checks the credentials; a failure is answered only after the address's delay.
    public func authenticate(login: String, password: String, peer: String) async -> Outcome {
        let result: AuthenticationResult
        do {
            result = try await directory.authenticate(login: login, password: password)
        } catch {
            logger.warning("authentication lookup failed", metadata: ["login": "\(login)", "error": "\(error)"])
            return .temporaryFailure
        }
        if case let .success(user) = result {
            delay.withLockedValue { $0.succeeded(address: peer) }
            return .success(user)
        }
        let wait = delay.withLockedValue { $0.failed(address: peer, now: Date().timeIntervalSince1970) }
        logger.notice("login failed", metadata: ["login": "\(login)", "peer": "\(peer)", "delay": "\(wait)"])
        if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
        return .failure
    }
}
