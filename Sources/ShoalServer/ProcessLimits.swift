#if canImport(Glibc)
import Glibc
#endif
import CLinuxFS

/// Process-wide limits a server sets at start.
public enum ProcessLimits {
    /// Raises the soft open-files limit to the hard limit (as HAProxy and nginx do), so that connections are
    /// bounded by the listeners' caps rather than by a 1,024-descriptor default; returns the new soft limit.
    @discardableResult
    public static func raiseOpenFiles() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(raised.rlim_cur) }
        }
        return Int(limit.rlim_cur)
    }

    /// Keeps memory a server frees for its next use instead of giving it back to the kernel at once: glibc
    /// maps blocks of 128 KiB and more afresh and trims its heaps past 128 KiB free, so every FETCH or RETR
    /// batch (a few hundred KiB) was faulted in page by page again (about 1,800 page faults and a fifth of the
    /// CPU of a 1,000-message FETCH BODY[]). Blocks under 1 MiB now come from the heaps, each heap keeps up to
    /// 4 MiB free, and there is one heap per core (not eight: the store's pool threads each grew their own,
    /// so a first FETCH after start faulted in eight). Returns whether glibc took the settings.
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        let cores = max(2, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return shoal_malloc_tune(1 << 20, 4 << 20, Int32(clamping: cores)) == 1
    }
}
