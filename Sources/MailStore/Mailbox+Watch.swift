extension Mailbox {
    /// Calls `onChange` whenever `folder` changes on this host: a message arrives, moves between `new/` and `cur/`,
    /// changes flags or goes, or `dovecot-uidlist`/`dovecot-keywords` is written. It runs on the watcher's thread and
    /// must return at once. nil when the folder is polled instead: the store is configured to poll, inotify is
    /// unavailable, the folder is on a network filesystem (other hosts' changes are invisible to inotify), or the
    /// folder is missing. Keep the returned watch as long as the notifications are wanted.
    public func watchChanges(folder: String, _ onChange: @escaping @Sendable () -> Void) async -> FolderWatch? {
        guard store.configuration.changeNotification == .inotify, let path = try? folderPath(folder) else { return nil }
        let hub = store.folderWatches
        return try? await store.blocking("watch folder", path) { hub.watch(folderPath: path, onChange: onChange) }
    }
}
