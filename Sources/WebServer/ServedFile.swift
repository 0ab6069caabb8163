#if canImport(Glibc)
import Glibc
#endif
public import NIOCore

/// One regular file as the node serves it: metadata for the headers, and either its bytes (small files,
/// served from memory) or an open descriptor (large files, sent with sendfile from a duplicate of it).
/// The descriptor closes when the last reference goes.
public final class ServedFile: Sendable {
    public let size: Int64
    public let modifiedSeconds: Int64
    public let modifiedNanoseconds: Int64
    /// Device and inode: only to notice a replaced file on revalidation, never in a header.
    let device: UInt64
    let inode: UInt64
    public let etag: EntityTag
    /// The `ETag` header value, made once per file rather than per response.
    public let etagText: String
    public let lastModifiedText: String
    public let contents: ByteBuffer?
    let descriptor: CInt?

    init(size: Int64, modifiedSeconds: Int64, modifiedNanoseconds: Int64, device: UInt64, inode: UInt64,
         contents: ByteBuffer?, descriptor: CInt?) {
        self.size = size
        self.modifiedSeconds = modifiedSeconds
        self.modifiedNanoseconds = modifiedNanoseconds
        self.device = device
        self.inode = inode
        let etag = EntityTag.file(size: size, modifiedSeconds: modifiedSeconds, modifiedNanoseconds: modifiedNanoseconds)
        self.etag = etag
        self.etagText = etag.description
        self.lastModifiedText = HTTPDate.format(modifiedSeconds)
        self.contents = contents
        self.descriptor = descriptor
    }

    /// A new descriptor for the same open file (for one response's `FileRegion`); nil when the file is in memory.
    func duplicateDescriptor() -> CInt? {
        guard let descriptor else { return nil }
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
    }

    /// Whether `info` describes this same file, unchanged.
    func isSame(as info: stat) -> Bool {
        UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode && Int64(info.st_size) == size
            && Int64(info.st_mtim.tv_sec) == modifiedSeconds && Int64(info.st_mtim.tv_nsec) == modifiedNanoseconds
    }

    deinit {
        if let descriptor { _ = Glibc.close(descriptor) }
    }
}

/// What a path under the document root turned out to be.
public enum FileLookup: Sendable {
    case file(ServedFile)
    case directory
    /// Missing, or a file the node may not serve (outside the root through a symlink, not a regular file, unreadable).
    case missing
    case forbidden
}
