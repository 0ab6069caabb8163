#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Which symbolic links the node follows.
public enum SymlinkPolicy: String, Sendable {
    /// Only links whose target stays inside the document root (the default).
    case insideRoot = "inside_root"
    /// Every link (the root's owner is trusted).
    case always
    /// None: a path with a link in it is refused.
    case never
}

/// Looks paths up on disk under a document root. Blocking (stat, realpath, open, read): call it on the
/// node's file thread pool, never on an event loop.
public struct FileResolver: Sendable {
    /// The document root, canonical (symlinks resolved), without a trailing slash.
    public let root: String
    public let symlinks: SymlinkPolicy
    /// Files up to this size are read into memory; larger ones are kept open for sendfile.
    public let memoryLimit: Int64

    public init(root: String, symlinks: SymlinkPolicy = .insideRoot, memoryLimit: Int64 = 256 * 1024) {
        self.root = root
        self.symlinks = symlinks
        self.memoryLimit = memoryLimit
    }

    /// The canonical form of a directory path; nil when it does not exist.
    public static func canonicalRoot(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        let text = String(cString: resolved)
        return text == "/" ? "" : text
    }

    /// The absolute path of a relative path under the root.
    public func absolute(_ relative: String) -> String {
        relative.isEmpty ? (root.isEmpty ? "/" : root) : root + "/" + relative
    }

    /// Looks `relative` up; `previous` (the cached answer) is kept when the file has not changed.
    public func lookup(_ relative: String, previous: FileLookup? = nil) -> FileLookup {
        let path = absolute(relative)
        var info = stat()
        guard stat(path, &info) == 0 else { return errno == EACCES ? .forbidden : .missing }
        guard isAllowedBySymlinkPolicy(path) else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: break
        default: return .forbidden
        }
        if case let .file(old)? = previous, old.isSame(as: info) { return .file(old) }
        // O_NONBLOCK: if the file became a FIFO since the stat, open must not wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return errno == EACCES ? .forbidden : .missing }
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return .forbidden
        }
        let size = Int64(opened.st_size)
        var contents: ByteBuffer?
        var keep: CInt? = fd
        if size <= memoryLimit {
            var buffer = ByteBufferAllocator().buffer(capacity: Int(size))
            let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(size)) { pointer in
                var done = 0
                while done < Int(size) {
                    let n = pread(fd, pointer.baseAddress! + done, Int(size) - done, off_t(done))
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                }
                return done
            }
            close(fd)
            keep = nil
            // Shorter than fstat said: the file is being rewritten in place; serve what the size promised or nothing.
            guard read == Int(size) else { return .missing }
            contents = buffer
        }
        return .file(ServedFile(size: size, modifiedSeconds: Int64(opened.st_mtim.tv_sec),
                                modifiedNanoseconds: Int64(opened.st_mtim.tv_nsec), device: UInt64(opened.st_dev),
                                inode: UInt64(opened.st_ino), contents: contents, descriptor: keep))
    }

    /// Whether the path's symbolic links (if any) are allowed by the policy.
    func isAllowedBySymlinkPolicy(_ path: String) -> Bool {
        if symlinks == .always { return true }
        guard let resolved = realpath(path, nil) else { return false }
        defer { free(resolved) }
        let canonical = String(cString: resolved)
        switch symlinks {
        case .always: return true
        case .never: return canonical == path
        case .insideRoot: return canonical == (root.isEmpty ? "/" : root) || canonical.hasPrefix(root + "/")
        }
    }

    /// The entries of a directory (for autoindex): names (hidden ones left out), whether each is a directory,
    /// its size and modification time; sorted by name. Nil when it cannot be read.
    public func listDirectory(_ relative: String, limit: Int) -> [DirectoryEntry]? {
        let path = absolute(relative)
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(dir), entries.count < limit {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            var info = stat()
            guard stat(path + "/" + name, &info) == 0 else { continue }
            entries.append(DirectoryEntry(name: name, isDirectory: info.st_mode & S_IFMT == S_IFDIR, size: Int64(info.st_size),
                                          modifiedSeconds: Int64(info.st_mtim.tv_sec)))
        }
        return entries.sorted { $0.name < $1.name }
    }
}

/// One line of an autoindex page.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    public var isDirectory: Bool
    public var size: Int64
    public var modifiedSeconds: Int64
}
