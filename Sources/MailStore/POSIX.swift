#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, blocking wrappers over the POSIX calls the store uses; every failure names its operation and path.
/// Call only from the thread pool.
struct POSIX {
    /// Modes and (when running as root for another user) ownership given to what the store creates.
    var permissions: FilePermissions

    /// Opens `path`; files it creates get the configured mode and owner.
    func open(_ path: String, _ flags: Int32, operation: String = "open") throws(MailStoreError) -> Int32 {
        let fd = Self.retrying { Glibc.open(path, flags | O_CLOEXEC, permissions.fileMode) }
        guard fd >= 0 else { throw .io(operation: operation, path: path, errno: errno) }
        if flags & O_CREAT != 0 {
            do throws(MailStoreError) {
                try adjust(fd: fd, path: path, mode: permissions.fileMode)
            } catch {
                _ = Glibc.close(fd)
                throw error
            }
        }
        return fd
    }

    /// Creates the directory `path`; returns false when it already existed.
    @discardableResult
    func makeDirectory(_ path: String) throws(MailStoreError) -> Bool {
        if mkdir(path, permissions.directoryMode) != 0 {
            let code = errno
            if code == EEXIST { return false }
            throw .io(operation: "mkdir", path: path, errno: code)
        }
        if let owner = permissions.owner, chown(path, owner.uid, owner.gid) != 0 {
            throw .io(operation: "chown", path: path, errno: errno)
        }
        if chmod(path, permissions.directoryMode) != 0 {
            throw .io(operation: "chmod", path: path, errno: errno)
        }
        return true
    }

    /// Creates `path` and every missing parent directory.
    func makeDirectories(_ path: String) throws(MailStoreError) {
        var current = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            try makeDirectory(current)
        }
    }

    private func adjust(fd: Int32, path: String, mode: mode_t) throws(MailStoreError) {
        if let owner = permissions.owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw .io(operation: "fchown", path: path, errno: errno)
        }
        if fchmod(fd, mode) != 0 { throw .io(operation: "fchmod", path: path, errno: errno) }
    }

    /// Writes every byte of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(MailStoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                retrying { Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
            }
            guard written > 0 else { throw .io(operation: "write", path: path, errno: written < 0 ? errno : EIO) }
            offset += written
        }
    }

    /// Flushes `fd` to stable storage.
    static func fsync(_ fd: Int32, path: String) throws(MailStoreError) {
        guard retrying({ Glibc.fsync(fd) }) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    /// Flushes the directory `path` (its entries) to stable storage.
    static func fsyncDirectory(_ path: String) throws(MailStoreError) {
        let fd = retrying { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .io(operation: "open directory for fsync", path: path, errno: errno) }
        defer { _ = Glibc.close(fd) }
        try fsync(fd, path: path)
    }

    static func close(_ fd: Int32, path: String) throws(MailStoreError) {
        guard Glibc.close(fd) == 0 else { throw .io(operation: "close", path: path, errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(MailStoreError) {
        guard Glibc.rename(from, to) == 0 else { throw .io(operation: "rename to \(to)", path: from, errno: errno) }
    }

    /// Removes `path`; a missing file is not an error.
    static func unlink(_ path: String) throws(MailStoreError) {
        guard Glibc.unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "unlink", path: path, errno: errno) }
    }

    /// The status of `path`, or nil when it does not exist.
    static func status(_ path: String) throws(MailStoreError) -> stat? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(operation: "stat", path: path, errno: errno)
        }
        return info
    }

    /// The whole content of `path`, or nil when it does not exist.
    static func readFile(_ path: String) throws(MailStoreError) -> [UInt8]? {
        let fd = retrying { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io(operation: "open", path: path, errno: errno)
        }
        defer { _ = Glibc.close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in retrying { read(fd, raw.baseAddress!, raw.count) } }
            if count < 0 { throw .io(operation: "read", path: path, errno: errno) }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// The entry names of directory `path` without `.` and `..`, or nil when it does not exist.
    /// Removes `path` and everything under it, never following a symbolic link.
    static func removeTree(_ path: String) throws(MailStoreError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw .io(operation: "lstat", path: path, errno: errno)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for entry in try listDirectory(path) ?? [] where entry != "." && entry != ".." {
                try removeTree(path + "/" + entry)
            }
            guard rmdir(path) == 0 || errno == ENOENT else { throw .io(operation: "rmdir", path: path, errno: errno) }
        } else {
            guard Glibc.unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "unlink", path: path, errno: errno) }
        }
    }

    static func listDirectory(_ path: String) throws(MailStoreError) -> [String]? {
        guard let dir = opendir(path) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(operation: "opendir", path: path, errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw .io(operation: "readdir", path: path, errno: errno) }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Calls `body` with the bytes of each entry's name in the directory (not `.` and `..`), without making a
    /// `String` of each; false when the directory is missing.
    static func forEachEntryName(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(MailStoreError) -> Bool {
        guard let dir = opendir(path) else {
            if errno == ENOENT || errno == ENOTDIR { return false }
            throw .io(operation: "opendir", path: path, errno: errno)
        }
        defer { closedir(dir) }
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw .io(operation: "readdir", path: path, errno: errno) }
                return true
            }
            withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { name in
                    let length = strlen(name)
                    let dots = (length == 1 && name[0] == 0x2E) || (length == 2 && name[0] == 0x2E && name[1] == 0x2E)
                    if !dots { body(UnsafeRawBufferPointer(start: name, count: length)) }
                }
            }
        }
    }

    /// Seconds and microseconds of the wall clock.
    static func now() -> (seconds: Int, microseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec / 1000))
    }

    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}

/// Modes and optional owner applied to every file and directory the store creates.
public struct FilePermissions: Sendable, Hashable {
    /// Owner given to created files when the store runs as root on behalf of a mail user (e.g. `vmail`).
    public struct Owner: Sendable, Hashable {
        public var uid: UInt32
        public var gid: UInt32
        public init(uid: UInt32, gid: UInt32) {
            self.uid = uid
            self.gid = gid
        }
    }

    public var fileMode: UInt32
    public var directoryMode: UInt32
    public var owner: Owner?

    /// Dovecot's defaults: files 0600, directories 0700, owned by the running user.
    public init(fileMode: UInt32 = 0o600, directoryMode: UInt32 = 0o700, owner: Owner? = nil) {
        self.fileMode = fileMode
        self.directoryMode = directoryMode
        self.owner = owner
    }
}
