#if canImport(Glibc)
import Glibc
#endif
import Logging

/// A Dovecot-style dotlock on `<target>.lock` holding `<pid>:<host>`; older than `staleAfter`, or naming a
/// dead process on this host, it may be taken over.
///
/// The lock file appears with its content: it is written under a temporary name first and then `link(2)`ed
/// into place (as Dovecot's dotlock does), so a crash at any point never leaves an empty lock whose owner
/// cannot be told. A temporary file left by a crash (`<lock>.<host>.<pid>.<n>`) is never taken for the lock.
struct DotLock: Sendable {
    let target: String
    let hostname: String
    let staleAfter: Duration
    var path: String { target + ".lock" }

    /// Called between writing the temporary file and linking it into place: the moment a crash could strike
    /// (tests look at the lock path then).
    nonisolated(unsafe) static var beforeLink: (@Sendable (_ lockPath: String, _ temporaryPath: String) -> Void)?

    /// The result of one non-blocking attempt.
    enum Attempt {
        case acquired(HeldDotLock)
        case busy(holder: String?)
    }

    /// Tries once (plus once more after removing a stale lock) to create the lock file.
    func tryAcquire(posix: POSIX, logger: Logger) throws(MailStoreError) -> Attempt {
        for _ in 0..<3 {
            if let held = try createLinked(posix: posix, logger: logger) { return .acquired(held) }
            guard let info = try POSIX.status(path) else { continue }  // released meanwhile: try again
            let holder = (try? POSIX.readFile(path)).flatMap { $0 }.map { String(decoding: $0.prefix(256), as: UTF8.self) }
            guard let reason = staleReason(info: info, holder: holder) else { return .busy(holder: holder) }
            // Remove it only if it is still the very lock judged stale.
            guard let again = try POSIX.status(path), again.st_ino == info.st_ino, again.st_dev == info.st_dev,
                again.st_mtim.tv_sec == info.st_mtim.tv_sec, again.st_mtim.tv_nsec == info.st_mtim.tv_nsec
            else { continue }
            logger.warning(
                "overriding stale lock",
                metadata: ["path": "\(path)", "holder": "\(holder ?? "?")", "reason": "\(reason)"])
            try POSIX.unlink(path)
        }
        return .busy(holder: nil)
    }

    /// Writes `<pid>:<host>` into a file of this process's own, then links it to the lock path: the lock exists
    /// only with its content. Nil when the lock path exists already.
    private func createLinked(posix: POSIX, logger: Logger) throws(MailStoreError) -> HeldDotLock? {
        let host = String(hostname.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
        let temporary = "\(path).\(host).\(getpid()).\(DeliveryCounter.next())"
        let fd = POSIX.retrying { open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, posix.permissions.fileMode) }
        guard fd >= 0 else { throw .io(operation: "create lock", path: temporary, errno: errno) }
        defer { _ = unlink(temporary) }
        do throws(MailStoreError) {
            if let owner = posix.permissions.owner, fchown(fd, owner.uid, owner.gid) != 0 {
                throw .io(operation: "fchown lock", path: temporary, errno: errno)
            }
            try POSIX.writeAll(fd, Array("\(getpid()):\(hostname)".utf8), path: temporary)
        } catch {
            _ = close(fd)
            throw error
        }
        Self.beforeLink?(path, temporary)
        if link(temporary, path) == 0 || Self.linked(fd) { return HeldDotLock(path: path, target: target, fd: fd) }
        let failure = errno
        _ = close(fd)
        guard failure == EEXIST else { throw .io(operation: "create lock", path: path, errno: failure) }
        return nil
    }

    /// NFS may report a failed link that did happen (Dovecot checks the same way): the file has two names.
    private static func linked(_ fd: Int32) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && info.st_nlink == 2
    }

    private func staleReason(info: stat, holder: String?) -> String? {
        let now = POSIX.now()
        let age = Duration.seconds(now.seconds - Int(info.st_mtim.tv_sec))
            + .microseconds(now.microseconds - Int(info.st_mtim.tv_nsec / 1000))
        if age > staleAfter { return "older than \(staleAfter)" }
        if let holder, let colon = holder.firstIndex(of: ":"), holder[holder.index(after: colon)...] == hostname,
            let pid = Int32(holder[..<colon]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
        {
            return "process \(pid) no longer exists"
        }
        return nil
    }
}

/// A dotlock this process holds; release it, or replace the target with new contents written into it.
final class HeldDotLock {
    let path: String
    let target: String
    private var fd: Int32
    private let inode: ino_t
    private let device: dev_t

    init(path: String, target: String, fd: Int32) {
        self.path = path
        self.target = target
        self.fd = fd
        var info = stat()
        fstat(fd, &info)
        inode = info.st_ino
        device = info.st_dev
    }

    deinit { if fd >= 0 { _ = close(fd) } }

    /// False once released, or consumed by `replaceTarget` (which ends the lock as Dovecot's replace does).
    var isHeld: Bool { fd >= 0 }

    /// Whether the lock file at `path` is still the one created here (not taken over as stale).
    var isStillOurs: Bool {
        guard fd >= 0, let info = try? POSIX.status(path) else { return false }
        return info.st_ino == inode && info.st_dev == device
    }

    /// Writes `contents` into the lock file, flushes it, and renames it over the target (Dovecot's dotlock replace).
    func replaceTarget(with contents: [UInt8], fsync: Bool, operation: String) throws(MailStoreError) {
        guard isStillOurs else { throw .lockLost(path: path, operation: operation) }
        guard ftruncate(fd, 0) == 0 else { throw .io(operation: "ftruncate lock", path: path, errno: errno) }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .io(operation: "lseek lock", path: path, errno: errno) }
        try POSIX.writeAll(fd, contents, path: path)
        if fsync { try POSIX.fsync(fd, path: path) }
        guard isStillOurs else { throw .lockLost(path: path, operation: operation) }
        try POSIX.rename(path, to: target)
        _ = close(fd)
        fd = -1
    }

    /// Sets the lock file's modification time to now: the holder is alive (staleness is judged by it).
    func touch() {
        guard fd >= 0 else { return }
        _ = futimens(fd, nil)
    }

    /// Removes the lock file if it is still ours; a lock taken over meanwhile is left alone.
    func release(logger: Logger) {
        guard fd >= 0 else { return }
        if isStillOurs {
            if unlink(path) != 0 && errno != ENOENT {
                logger.error("cannot remove lock", metadata: ["path": "\(path)", "errno": "\(errno)"])
            }
        } else {
            logger.warning("lock was taken over by another process before release", metadata: ["path": "\(path)"])
        }
        _ = close(fd)
        fd = -1
    }
}
