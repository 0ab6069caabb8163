#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers

/// The store's inotify watches: one set per watched folder (its directory, `new/` and `cur/`), shared by every
/// subscriber of that folder and removed with the last one. The inotify descriptor and its reading thread exist
/// only while some folder is watched.
final class FolderWatchHub: Sendable {
    private struct Folder {
        var watches: [Int32]
        var subscribers: [Int: @Sendable () -> Void]
    }

    private struct State {
        #if os(Linux)
        var reader: InotifyReader?
        #endif
        var folders: [String: Folder] = [:]
        /// Which folders (and in which role) each watch descriptor serves.
        var roles: [Int32: [(folder: String, role: FolderWatchRole)]] = [:]
        var nextID = 0
        var failureLogged = false
    }

    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// How many folders have watches now (for tests and metrics).
    var watchedFolderCount: Int { state.withLockedValue { $0.folders.count } }

    #if os(Linux)
    /// The reader while some folder is watched (for tests).
    var currentReader: InotifyReader? { state.withLockedValue { $0.reader } }
    #endif

    /// Subscribes `onChange` to the folder at `folderPath`; nil when it cannot be watched (a network filesystem,
    /// no inotify, the watch limit). Blocking (path lookups): call on the store's thread pool.
    func watch(folderPath: String, onChange: @escaping @Sendable () -> Void) -> FolderWatch? {
        #if os(Linux)
        if case let .network(name) = FilesystemKind.of(path: folderPath) {
            logger.debug("folder on a network filesystem: polling", metadata: ["folder": "\(folderPath)", "filesystem": "\(name)"])
            return nil
        }
        let outcome: Result<Int, InotifyError> = state.withLockedValue { state in
            state.nextID += 1
            let id = state.nextID
            if state.folders[folderPath] != nil {
                state.folders[folderPath]!.subscribers[id] = onChange
                return .success(id)
            }
            let reader: InotifyReader
            if let running = state.reader {
                reader = running
            } else {
                switch InotifyReader.start(onEvents: { [weak self] events in self?.deliver(events) }) {
                case let .success(started): reader = started
                case let .failure(error): return .failure(error)
                }
                state.reader = reader
            }
            var watches: [Int32] = []
            for (path, role) in [(folderPath, FolderWatchRole.control), (folderPath + "/new", .messages), (folderPath + "/cur", .messages)] {
                switch reader.addWatch(path, mask: role.mask) {
                case let .success(watch):
                    watches.append(watch)
                    state.roles[watch, default: []].append((folderPath, role))
                case let .failure(error):
                    state.folders[folderPath] = Folder(watches: watches, subscribers: [:])
                    Self.unwatch(folderPath, in: &state)
                    return .failure(error)
                }
            }
            state.folders[folderPath] = Folder(watches: watches, subscribers: [id: onChange])
            return .success(id)
        }
        switch outcome {
        case let .success(id):
            return FolderWatch(hub: self, folderPath: folderPath, id: id)
        case let .failure(error):
            let first = state.withLockedValue { state in defer { state.failureLogged = true }; return !state.failureLogged }
            // ENOENT is a folder without new/ or cur/ (being created or deleted): not worth a notice.
            if first && error.errno != ENOENT {
                logger.notice("cannot watch a folder; IDLE polls it", metadata: ["folder": "\(folderPath)", "error": "\(error)"])
            }
            return nil
        }
        #else
        return nil
        #endif
    }

    /// Ends one subscription; the folder's watches go with its last one, the descriptor with the last folder.
    func cancel(folderPath: String, id: Int) {
        state.withLockedValue { state in
            guard state.folders[folderPath]?.subscribers.removeValue(forKey: id) != nil,
                  state.folders[folderPath]?.subscribers.isEmpty == true else { return }
            Self.unwatch(folderPath, in: &state)
        }
    }

    private static func unwatch(_ folderPath: String, in state: inout State) {
        guard let folder = state.folders.removeValue(forKey: folderPath) else { return }
        #if os(Linux)
        for watch in folder.watches {
            state.roles[watch]?.removeAll { $0.folder == folderPath }
            if state.roles[watch]?.isEmpty == true {
                state.roles[watch] = nil
                state.reader?.removeWatch(watch)
            }
        }
        if state.folders.isEmpty, let reader = state.reader {
            state.reader = nil
            state.roles = [:]
            reader.stop()
        }
        #endif
    }

    /// Called by the reading thread: tells the subscribers of every folder an event changed (all of them when the
    /// kernel's queue overflowed and events were lost).
    func deliver(_ events: [InotifyEvent]) {
        let callbacks: [@Sendable () -> Void] = state.withLockedValue { state in
            var changed = Set<String>()
            for event in events {
                if event.mask & InotifyEvent.queueOverflow != 0 {
                    changed.formUnion(state.folders.keys)
                    break
                }
                for (folder, role) in state.roles[event.watch] ?? [] where role.isChange(event) { changed.insert(folder) }
            }
            return changed.flatMap { state.folders[$0].map { Array($0.subscribers.values) } ?? [] }
        }
        for callback in callbacks { callback() }
    }
}

/// A subscription to one folder's changes (``Mailbox/watchChanges(folder:_:)``), ended by ``cancel()`` or when released.
public final class FolderWatch: Sendable {
    private let hub: FolderWatchHub
    private let folderPath: String
    private let id: Int
    private let cancelled = NIOLockedValueBox(false)

    init(hub: FolderWatchHub, folderPath: String, id: Int) {
        self.hub = hub
        self.folderPath = folderPath
        self.id = id
    }

    /// Stops the notifications (idempotent).
    public func cancel() {
        let wasCancelled = cancelled.withLockedValue { value in
            defer { value = true }
            return value
        }
        guard !wasCancelled else { return }
        hub.cancel(folderPath: folderPath, id: id)
    }

    deinit {
        cancel()
    }
}
