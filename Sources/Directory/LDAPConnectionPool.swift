import CLDAP
import Logging
import NIOPosix

/// A bounded pool of service-account connections shared by concurrent callers: waiters queue when all are busy,
/// dead connections are discarded and the operation retried once on a fresh one, URIs are tried in order.
///
/// libldap's blocking calls run on a thread pool of the directory's own (unless the caller passes one):
/// one thread per pooled connection plus one for user binds and closes, so LDAP never waits behind, or
/// starves, other blocking work. The pool starts with it and shuts down with `shutdown()` or its deinit.
actor LDAPConnectionPool {
    /// What a caller gets: a connection to use, or leave to open a new one.
    private enum Lease {
        case connection(LDAPConnection, generation: Int)
        case open
    }

    let configuration: LDAPConfiguration
    let threadPool: NIOThreadPool
    /// True when the thread pool was started here (and is shut down here).
    let ownsThreadPool: Bool
    let logger: Logger
    private var idle: [(connection: LDAPConnection, generation: Int)] = []
    private var waiters: [CheckedContinuation<Lease, Never>] = []
    /// Connections idle, lent out or being opened; never above `poolSize`.
    private(set) var openCount = 0
    /// Bumped when a connection is found dead: older connections are presumed dead too and not reused.
    private var generation = 0

    private var isShutDown = false

    /// Threads for a pool of `poolSize` connections: one each, and one for user binds and closes.
    static func threadCount(poolSize: Int) -> Int { max(1, poolSize) + 1 }

    /// `threadPool` nil: a dedicated pool sized from `configuration.poolSize`, started now.
    init(configuration: LDAPConfiguration, threadPool: NIOThreadPool?, logger: Logger) {
        self.configuration = configuration
        if let threadPool {
            self.threadPool = threadPool
            ownsThreadPool = false
        } else {
            self.threadPool = NIOThreadPool(numberOfThreads: Self.threadCount(poolSize: configuration.poolSize))
            self.threadPool.start()
            ownsThreadPool = true
        }
        self.logger = logger
    }

    deinit {
        let connections = idle.map(\.connection)
        // Runs on a pool thread, or (once the pool is shut down) as a cancelled item: it closes either way.
        if !connections.isEmpty { threadPool.submit { _ in connections.forEach { $0.close() } } }
        let running = !isShutDown
        if ownsThreadPool && running { threadPool.shutdownGracefully { _ in } }
    }

    /// Closes the idle connections and stops an own thread pool; later operations fail as unavailable.
    func shutdown() async {
        guard !isShutDown else { return }
        await closeIdle()
        isShutDown = true
        if ownsThreadPool { try? await threadPool.shutdownGracefully() }
    }

    /// Runs `body` on the thread pool with a service-account connection.
    func withConnection<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (LDAPConnection) throws(LDAPFailure) -> T
    ) async throws(DirectoryError) -> T {
        var retried = false
        while true {
            let (connection, leaseGeneration) = try await lease()
            do {
                let result = try await threadPool.runIfActive { () throws(LDAPFailure) -> T in try body(connection) }
                release(connection, generation: leaseGeneration)
                return result
            } catch let failure as LDAPFailure {
                guard failure.isConnectionLost else {
                    release(connection, generation: leaseGeneration)
                    throw Self.directoryError(failure, operation)
                }
                discard(connection, dead: leaseGeneration)
                logger.warning("LDAP connection lost", metadata: ["uri": "\(failure.uri)", "error": "\(failure)"])
                guard !retried else {
                    throw DirectoryError(.unavailable, "\(operation): \(failure) (after one retry on a fresh connection)",
                                         location: configuration.uris.joined(separator: " "))
                }
                retried = true
            } catch {
                release(connection, generation: leaseGeneration)
                throw DirectoryError(.unavailable, "\(operation): thread pool unavailable or task cancelled: \(error)")
            }
        }
    }

    /// Opens a connection of its own (not pooled, no service bind), binds as `dn` and closes it:
    /// true when the password is right, false on invalid credentials.
    func checkPassword(dn: String, password: String) async throws(DirectoryError) -> Bool {
        let configuration = self.configuration
        do {
            return try await threadPool.runIfActive { () throws(DirectoryError) -> Bool in
                let connection = try Self.connect(configuration, bindDN: nil, password: nil)
                defer { connection.close() }
                do throws(LDAPFailure) {
                    try connection.bind(dn: dn, password: password)
                    return true
                } catch {
                    if error.code == LDAP_INVALID_CREDENTIALS { return false }
                    throw Self.directoryError(error, "bind as user")
                }
            }
        } catch let error as DirectoryError {
            throw error
        } catch {
            throw DirectoryError(.unavailable, "bind as user: thread pool unavailable or task cancelled: \(error)")
        }
    }

    /// Closes every idle connection (the pool opens new ones on demand).
    func closeIdle() async {
        let connections = idle.map(\.connection)
        openCount -= idle.count
        idle.removeAll()
        _ = try? await threadPool.runIfActive { connections.forEach { $0.close() } }
    }

    // MARK: - Leasing

    private func lease() async throws(DirectoryError) -> (LDAPConnection, Int) {
        while let (connection, leased) = idle.popLast() {
            if leased == generation { return (connection, leased) }
            closeLater(connection)
            openCount -= 1
        }
        let lease: Lease
        if openCount < max(1, configuration.poolSize) {
            openCount += 1
            lease = .open
        } else {
            lease = await withCheckedContinuation { waiters.append($0) }
        }
        switch lease {
        case let .connection(connection, leased):
            return (connection, leased)
        case .open:
            let opened = generation
            let configuration = self.configuration
            do {
                let connection = try await threadPool.runIfActive { () throws(DirectoryError) -> LDAPConnection in
                    try Self.connect(configuration, bindDN: configuration.bindDN, password: configuration.bindPassword)
                }
                return (connection, opened)
            } catch {
                openCount -= 1
                handOverSlot()
                if let error = error as? DirectoryError { throw error }
                throw DirectoryError(.unavailable, "connecting: thread pool unavailable or task cancelled: \(error)")
            }
        }
    }

    private func release(_ connection: LDAPConnection, generation leased: Int) {
        guard leased == generation else {
            closeLater(connection)
            openCount -= 1
            handOverSlot()
            return
        }
        if waiters.isEmpty {
            idle.append((connection, leased))
        } else {
            waiters.removeFirst().resume(returning: .connection(connection, generation: leased))
        }
    }

    private func discard(_ connection: LDAPConnection, dead leased: Int) {
        if leased == generation { generation += 1 }
        closeLater(connection)
        openCount -= 1
        handOverSlot()
    }

    /// A slot was freed: the first waiter may open a connection in it.
    private func handOverSlot() {
        guard !waiters.isEmpty, openCount < max(1, configuration.poolSize) else { return }
        openCount += 1
        waiters.removeFirst().resume(returning: .open)
    }

    private func closeLater(_ connection: LDAPConnection) {
        let threadPool = self.threadPool
        Task { _ = try? await threadPool.runIfActive { connection.close() } }
    }

    // MARK: - Connecting (blocking; thread pool only)

    /// Tries each URI in order until one connects; a failure other than "cannot connect" stops the search.
    static func connect(_ configuration: LDAPConfiguration, bindDN: String?, password: String?)
        throws(DirectoryError) -> LDAPConnection
    {
        guard !configuration.uris.isEmpty else {
            throw DirectoryError(.configuration, "LDAP: no server URIs configured")
        }
        if bindDN != nil && (password ?? "").isEmpty {
            throw DirectoryError(.configuration, "LDAP: bindDN \(bindDN!) has no password (that would be an anonymous bind)")
        }
        var failures: [String] = []
        for uri in configuration.uris {
            do throws(LDAPFailure) {
                return try LDAPConnection.open(uri: uri, configuration: configuration, bindDN: bindDN, password: password)
            } catch {
                guard error.isConnectionLost else { throw directoryError(error, "connecting") }
                failures.append(error.description)
            }
        }
        throw DirectoryError(.unavailable, "no LDAP server reachable: " + failures.joined(separator: "; "),
                             location: configuration.uris.joined(separator: " "))
    }

    /// The DirectoryError for a failure: local setup problems are configuration errors, lost connections
    /// unavailability, anything else the server's answer.
    static func directoryError(_ failure: LDAPFailure, _ operation: String) -> DirectoryError {
        let kind: DirectoryError.Kind = failure.code == LDAP_PARAM_ERROR ? .configuration
            : failure.isConnectionLost ? .unavailable : .server
        return DirectoryError(kind, "\(operation): \(failure)", location: failure.uri)
    }
}
