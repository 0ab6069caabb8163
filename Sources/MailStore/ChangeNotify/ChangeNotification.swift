/// How IMAP IDLE learns that a folder changed: inotify on this host, or re-reading the folder on a timer.
public enum ChangeNotification: String, Sendable, CaseIterable {
    /// inotify watches on the folder's `new/`, `cur/` and its `dovecot-uidlist`/`dovecot-keywords`; IDLE still polls
    /// slowly as a safety net.
    case inotify
    /// IDLE re-reads the folder every poll interval (the only way to see other hosts' changes on a network filesystem).
    case poll

    /// The mode to run with and, when that is not what was asked for, why (for the log).
    public static func effective(requested: ChangeNotification, inotifyAvailable: Bool,
                                 filesystem: FilesystemKind) -> (mode: ChangeNotification, fallback: String?) {
        guard requested == .inotify else { return (.poll, nil) }
        guard inotifyAvailable else { return (.poll, "inotify is not available here") }
        if case let .network(name) = filesystem {
            return (.poll, "the store is on \(name), where inotify does not see other hosts' changes")
        }
        return (.inotify, nil)
    }
}
