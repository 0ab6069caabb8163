#if canImport(Glibc)
import Glibc
#endif

/// Bytes and messages a Maildir uses, and the limits that apply to it (nil: unlimited).
public struct QuotaUsage: Sendable, Hashable {
    public var bytes: UInt64
    public var messages: UInt64
    public var limitBytes: UInt64?
    public var limitMessages: UInt64?

    public init(bytes: UInt64, messages: UInt64, limitBytes: UInt64? = nil, limitMessages: UInt64? = nil) {
        self.bytes = bytes
        self.messages = messages
        self.limitBytes = limitBytes
        self.limitMessages = limitMessages
    }

    /// Whether one more message of `size` bytes stays within both limits.
    public func allows(size: UInt64) -> Bool {
        if let limitBytes, bytes + size > limitBytes { return false }
        if let limitMessages, messages + 1 > limitMessages { return false }
        return true
    }
}

/// The Maildir++ `maildirsize` file: a definition line `<bytes>S,<count>C`, then `<bytes> <count>` lines summed.
struct MaildirSize: Equatable, Sendable {
    /// Maildir++: a file larger than this is recalculated from the tree.
    static let recalculateAbove = 5120
    /// Maildir++: an over-quota result from a file older than this is checked against the tree.
    static let overQuotaRecheckAfter = 15 * 60

    var definition: String
    var bytes: Int64
    var messages: Int64

    /// The definition line for the limits, e.g. `1000000S,1000C`; empty when neither is set.
    static func definition(limitBytes: UInt64?, limitMessages: UInt64?) -> String {
        [limitBytes.map { "\($0)S" }, limitMessages.map { "\($0)C" }].compactMap { $0 }.joined(separator: ",")
    }

    /// Parses the file; nil when any line is malformed or the sums are negative.
    static func parse(_ bytes: [UInt8]) -> MaildirSize? {
        guard bytes.last == 10 else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast()
        guard let definition = lines.first else { return nil }
        var size = MaildirSize(definition: String(definition), bytes: 0, messages: 0)
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let delta = Int64(fields[0]), let count = Int64(fields[1]) else { return nil }
            size.bytes += delta
            size.messages += count
        }
        return size.bytes >= 0 && size.messages >= 0 ? size : nil
    }

    /// A fresh file: the definition and one total line.
    func serialized() -> [UInt8] { Array("\(definition)\n\(bytes) \(messages)\n".utf8) }
}

extension Maildir {
    var maildirSizePath: String { root + "/maildirsize" }

    /// Usage summed from every folder's `cur/` and `new/` (sizes from `S=`, else the file's size).
    func scanUsage() throws(MailStoreError) -> (bytes: UInt64, messages: UInt64) {
        var bytes: UInt64 = 0, messages: UInt64 = 0
        for folder in try folderPaths() {
            for sub in ["new", "cur"] {
                let directory = folder + "/" + sub
                for name in try POSIX.listDirectory(directory) ?? [] where !name.hasPrefix(".") {
                    if let size = MaildirName(parsing: name).size {
                        bytes += size
                    } else if let info = try POSIX.status(directory + "/" + name) {
                        bytes += UInt64(info.st_size)
                    } else {
                        continue  // moved or expunged meanwhile
                    }
                    messages += 1
                }
            }
        }
        return (bytes, messages)
    }

    /// The `maildirsize` content and its age in seconds, when it exists, parses, matches `definition`
    /// and is small enough to trust.
    func readMaildirSize(definition: String) throws(MailStoreError) -> (size: MaildirSize, age: Int)? {
        guard let bytes = try POSIX.readFile(maildirSizePath), bytes.count <= MaildirSize.recalculateAbove,
            let size = MaildirSize.parse(bytes), size.definition == definition,
            let info = try POSIX.status(maildirSizePath)
        else { return nil }
        return (size, POSIX.now().seconds - Int(info.st_mtim.tv_sec))
    }

    /// Usage without writing anything: from `maildirsize` when trustworthy, else from the tree. When the file
    /// says a message of `size` would not fit and is older than the recheck age, the tree decides.
    func usage(limitBytes: UInt64?, limitMessages: UInt64?, checking size: UInt64? = nil) throws(MailStoreError) -> QuotaUsage {
        let definition = MaildirSize.definition(limitBytes: limitBytes, limitMessages: limitMessages)
        if let (file, age) = try readMaildirSize(definition: definition) {
            let usage = QuotaUsage(bytes: UInt64(file.bytes), messages: UInt64(file.messages),
                                   limitBytes: limitBytes, limitMessages: limitMessages)
            guard let size, !usage.allows(size: size), age >= MaildirSize.overQuotaRecheckAfter else { return usage }
        }
        let scanned = try scanUsage()
        return QuotaUsage(bytes: scanned.bytes, messages: scanned.messages,
                          limitBytes: limitBytes, limitMessages: limitMessages)
    }

    /// Recounts the tree and replaces `maildirsize` (written in `tmp/`, renamed into place).
    func recalculateMaildirSize(definition: String, posix: POSIX, fsync: Bool) throws(MailStoreError) -> MaildirSize {
        let scanned = try scanUsage()
        let size = MaildirSize(definition: definition, bytes: Int64(scanned.bytes), messages: Int64(scanned.messages))
        let staging = root + "/tmp/.shoal-maildirsize.\(getpid()).\(DeliveryCounter.next())"
        let fd = try posix.open(staging, O_WRONLY | O_CREAT | O_EXCL)
        do throws(MailStoreError) {
            try POSIX.writeAll(fd, size.serialized(), path: staging)
            if fsync { try POSIX.fsync(fd, path: staging) }
            try POSIX.close(fd, path: staging)
            try POSIX.rename(staging, to: maildirSizePath)
        } catch {
            _ = unlink(staging)
            throw error
        }
        return size
    }

    /// Appends `<bytes> <count>` to `maildirsize` when the file exists.
    func appendMaildirSize(bytes: Int64, messages: Int64) throws(MailStoreError) {
        let fd = open(maildirSizePath, O_WRONLY | O_APPEND | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return }
            throw .io(operation: "open for append", path: maildirSizePath, errno: errno)
        }
        defer { _ = close(fd) }
        try POSIX.writeAll(fd, Array("\(bytes) \(messages)\n".utf8), path: maildirSizePath)
    }
}
