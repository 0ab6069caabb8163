#if os(Linux)
import CLinuxFS
#endif

/// The kind of filesystem a path is on, as far as change notification cares (statfs(2) `f_type`).
public enum FilesystemKind: Hashable, Sendable {
    case local
    /// Shared with other hosts (NFS, CephFS, SMB, FUSE, ...): inotify sees only this host's changes there.
    case network(String)
    /// statfs failed (the path does not exist yet, ...).
    case unknown

    /// The kind for a statfs magic number.
    public init(magic: UInt32) {
        self = Self.networkMagics[magic].map { .network($0) } ?? .local
    }

    /// Filesystems whose changes by other hosts inotify never reports (magic numbers from linux/magic.h and the
    /// filesystems' own headers).
    static let networkMagics: [UInt32: String] = [
        0x6969: "NFS", 0x00C3_6400: "CephFS", 0x6573_5546: "FUSE", 0x517B: "SMB", 0xFF53_4D42: "CIFS",
        0xFE53_4D42: "SMB2", 0x7375_7245: "Coda", 0x5346_414F: "AFS", 0x6B41_4653: "AFS", 0x0102_1997: "9P",
        0x0116_1970: "GFS2", 0x7461_636F: "OCFS2", 0x0BD0_0BD0: "Lustre", 0x4750_4653: "GPFS", 0x564C: "NCP",
    ]

    /// The kind of filesystem `path` is on. Blocking (a hung NFS server blocks it): call off the event loop.
    public static func of(path: String) -> FilesystemKind {
        #if os(Linux)
        var magic: UInt = 0
        guard shoal_statfs_type(path, &magic) == 0 else { return .unknown }
        return FilesystemKind(magic: UInt32(truncatingIfNeeded: magic))
        #else
        return .unknown
        #endif
    }
}
