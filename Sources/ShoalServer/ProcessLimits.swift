#if canImport(Glibc)
import Glibc
#endif

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
}
