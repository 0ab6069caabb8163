import MailStore
import NIOConcurrencyHelpers

/// One connection's IDLE waits: for a change to the selected folder (the store's inotify watch, shared with every
/// session on that folder), for DONE, or for the poll interval — the slow safety poll when the folder is watched,
/// the plain poll when it is not (polling configured, a network filesystem, no inotify).
final class IMAPIdleWaiter: Sendable {
    /// Between reads of a folder that is not watched.
    let pollInterval: Duration
    /// Between reads of a watched folder, in case a notification was missed.
    let safetyPollInterval: Duration
    /// How long a change may be joined by more before the folder is read (a delivery renames, then writes the UID list).
    let debounce: Duration
    private let signal = IMAPIdleSignal()
    private struct State {
        var folder: String?
        var watch: FolderWatch?
        var closed = false
        /// Counts ``end()`` calls, so a watch set up while IDLE ended is given up at once.
        var ends = 0
    }
    private let state = NIOLockedValueBox(State())

    init(pollInterval: Duration, safetyPollInterval: Duration, debounce: Duration = .milliseconds(25)) {
        self.pollInterval = pollInterval
        self.safetyPollInterval = safetyPollInterval
        self.debounce = debounce
    }

    /// True while a watch on some folder is held (for tests).
    var isWatching: Bool { state.withLockedValue { $0.watch != nil } }

    /// Waits until `folder` is worth reading again. The first wait on a folder sets up its watch and returns at once,
    /// so that the read which follows covers the changes made before the watch existed.
    func wait(folder: String, mailbox: Mailbox) async -> IMAPIdleWake {
        let known: Bool? = state.withLockedValue { $0.folder == folder ? $0.watch != nil : nil }
        let watched: Bool
        if let known {
            watched = known
        } else {
            release()
            let ends = state.withLockedValue { $0.ends }
            let signal = self.signal
            let watch = await mailbox.watchChanges(folder: folder) { signal.signal(.changed) }
            let ended = state.withLockedValue { state in
                guard !state.closed && state.ends == ends else { return true }
                state.folder = folder
                state.watch = watch
                return false
            }
            if ended {
                watch?.cancel()
                return .ended
            }
            if watch != nil { return .changed }
            watched = false
        }
        let wake = await signal.wait(timeout: watched ? safetyPollInterval : pollInterval)
        if wake == .changed {
            // A burst (a delivery, an expunge of many messages) becomes one read.
            try? await Task.sleep(for: debounce)
            signal.clearChanged()
        }
        return wake
    }

    /// IDLE ended (DONE): the wait under way returns, and the watch is given up.
    func end() {
        state.withLockedValue { $0.ends += 1 }
        release()
        signal.signal(.ended)
    }

    /// The connection closed: as ``end()``, and no watch is taken any more.
    func close() {
        state.withLockedValue { $0.closed = true }
        end()
    }

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    private func release() {
        let watch = state.withLockedValue { state in
            state.folder = nil
            return state.watch.take()
        }
        watch?.cancel()
    }
}
