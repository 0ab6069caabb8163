#if canImport(Glibc)
import Glibc
#endif
public import MailStore
import NIOConcurrencyHelpers
public import NIOPosix

/// The per-folder summary index beside the Maildir (`shoal-summaries`): what FETCH ENVELOPE, BODYSTRUCTURE,
/// BODY and RFC822.SIZE need, so they are answered without reading and parsing each message again. It is a
/// pure cache: keyed by the messages' base file names (which never change), appended to by every node
/// sharing the store, ignored where damaged and rewritten then; deleting it loses nothing. Dovecot's own
/// index files are left alone. One instance per process, shared by its sessions.
public final class IMAPSummaryCache: Sendable {
    /// What this process has read of one folder's file.
    struct Loaded {
        var offset = 0
        var inode: UInt64 = 0
        var summaries: [String: IMAPMessageSummary] = [:]
    }

    public static let fileName = "shoal-summaries"
    private let folders = NIOLockedValueBox<[String: Loaded]>([:])
    private let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool = MailStore.fileThreadPool) {
        self.threadPool = threadPool
    }

    /// The summaries of `messages` (by base name) that the folder's file has, after reading what other
    /// processes appended since the last look.
    func summaries(folderPath: String, keys: [String]) async -> [String: IMAPMessageSummary] {
        let path = folderPath + "/" + Self.fileName
        let known = folders.withLockedValue { $0[folderPath] } ?? Loaded()
        let loaded = (try? await threadPool.runIfActive { Self.refresh(known, path: path) }) ?? known
        folders.withLockedValue { $0[folderPath] = loaded }
        var found: [String: IMAPMessageSummary] = [:]
        for key in keys { if let summary = loaded.summaries[key] { found[key] = summary } }
        return found
    }

    /// Appends new summaries to the folder's file (one write, so records of several nodes never interleave).
    func store(folderPath: String, _ new: [String: IMAPMessageSummary]) async {
        guard !new.isEmpty else { return }
        let path = folderPath + "/" + Self.fileName
        let bytes = new.flatMap { IMAPMessageSummary.record(key: $0.key, $0.value) }
        _ = try? await threadPool.runIfActive { Self.append(bytes, to: path) }
        folders.withLockedValue { entry in
            var loaded = entry[folderPath] ?? Loaded()
            for (key, summary) in new { loaded.summaries[key] = summary }
            entry[folderPath] = loaded
        }
    }

    /// Reads what was appended since `known` (all of it when the file was replaced or shrank). A damaged
    /// record (a torn write, a crash) ends the readable part: the file is rewritten from what was intact.
    static func refresh(_ known: Loaded, path: String) -> Loaded {
        var info = stat()
        guard stat(path, &info) == 0 else { return Loaded() }
        var loaded = known
        if UInt64(info.st_ino) != known.inode || Int(info.st_size) < known.offset { loaded = Loaded(inode: UInt64(info.st_ino)) }
        guard Int(info.st_size) > loaded.offset, let bytes = readFrom(path, offset: loaded.offset) else { return loaded }
        let (records, intact) = IMAPMessageSummary.records(bytes)
        loaded.summaries.merge(records) { _, new in new }
        loaded.offset += intact
        if intact < bytes.count { rewrite(loaded.summaries, path: path, loaded: &loaded) }
        return loaded
    }

    private static func readFrom(_ path: String, offset: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var position = offset
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
            position += count
        }
        return bytes
    }

    private static func append(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Replaces the file with the intact records (written aside, then renamed over it).
    private static func rewrite(_ summaries: [String: IMAPMessageSummary], path: String, loaded: inout Loaded) {
        var bytes: [UInt8] = []
        for (key, summary) in summaries { bytes += IMAPMessageSummary.record(key: key, summary) }
        let temporary = path + ".\(getpid()).tmp"
        append(bytes, to: temporary)
        guard rename(temporary, path) == 0 else { unlink(temporary); return }
        var info = stat()
        if stat(path, &info) == 0 { loaded.inode = UInt64(info.st_ino) }
        loaded.offset = bytes.count
    }
}
