public import Logging
import NIOPosix

/// Opening the SQLite directory off the caller's thread: creating the file, GRDB's pool setup and the
/// schema migration are blocking I/O, which must not run on an event loop or the concurrency pool.
extension SQLiteDirectory {
    /// Opens (creating when missing) the database at `path` on `openingThreadPool`; see `init`.
    public static func open(path: String, passwordScheme: PasswordScheme = .ssha512,
                            logger: Logger = Logger(label: "shoal.directory.sqlite")) async throws(DirectoryError) -> SQLiteDirectory {
        let outcome: Result<SQLiteDirectory, DirectoryError>
        do {
            outcome = try await openingThreadPool.runIfActive { () -> Result<SQLiteDirectory, DirectoryError> in
                do throws(DirectoryError) {
                    return .success(try SQLiteDirectory(path: path, passwordScheme: passwordScheme, logger: logger))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw DirectoryError(.unavailable, "cannot open the database: the opening thread pool is unavailable: \(error)", location: path)
        }
        return try outcome.get()
    }

    /// One thread for opening databases (rare: at start and by `shoal users`), started on first use and
    /// never stopped, like NIO's singletons.
    static let openingThreadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
}
