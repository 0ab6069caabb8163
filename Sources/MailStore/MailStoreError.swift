#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a mail store operation failed, naming the operation and the path it failed on.
public enum MailStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed: the operation (`open`, `rename`, ...), the path it worked on and `errno`.
    case io(operation: String, path: String, errno: Int32)
    /// Storing `messageSize` more bytes in the Maildir at `path` would go over its quota.
    case quotaExceeded(path: String, usage: QuotaUsage, messageSize: UInt64)
    /// The dotlock at `path` was not obtained within `waited`; `holder` is its `pid:host` content, if readable.
    case lockTimeout(path: String, waited: Duration, holder: String?)
    /// The dotlock at `path` was taken over by another process (as stale) while `operation` held it.
    case lockLost(path: String, operation: String)
    /// The file at `path` does not parse at `line` (1-based; 0 for the file as a whole).
    case corruptFile(path: String, line: Int, reason: String)
    /// A folder name that cannot be stored.
    case invalidFolder(name: String, reason: String)
    /// The folder `name` does not exist at `path`.
    case noSuchFolder(name: String, path: String)
    /// CREATE or RENAME onto a folder that exists.
    case folderExists(name: String, path: String)
    /// A keyword that is not an IMAP flag keyword.
    case invalidKeyword(keyword: String, reason: String)
    /// All 26 keyword letters of the folder's `dovecot-keywords` at `path` are taken.
    case tooManyKeywords(path: String, keyword: String)
    /// The mailbox owner's login, domain or location cannot name a mailbox directory.
    case invalidOwner(login: String, reason: String)
    /// The thread pool was shut down before `operation` on `path` could run.
    case threadPoolInactive(operation: String, path: String)
    /// The task was cancelled while `operation` on `path` waited; nothing was stored.
    case cancelled(operation: String, path: String)

    public var description: String {
        switch self {
        case let .io(operation, path, code):
            return "\(operation) \(path): \(Self.systemMessage(code)) (errno \(code))"
        case let .quotaExceeded(path, usage, size):
            var limits: [String] = []
            if let bytes = usage.limitBytes { limits.append("\(bytes) bytes") }
            if let messages = usage.limitMessages { limits.append("\(messages) messages") }
            return "quota exceeded for \(path): using \(usage.bytes) bytes in \(usage.messages) messages, "
                + "message of \(size) bytes, limit \(limits.joined(separator: ", "))"
        case let .lockTimeout(path, waited, holder):
            return "lock \(path): still held after \(waited)" + (holder.map { " by \($0)" } ?? "")
        case let .lockLost(path, operation):
            return "lock \(path): taken over by another process during \(operation)"
        case let .corruptFile(path, line, reason):
            return line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)"
        case let .invalidFolder(name, reason):
            return "folder \"\(name)\": \(reason)"
        case let .noSuchFolder(name, path):
            return "folder \"\(name)\": no such folder at \(path)"
        case let .folderExists(name, path):
            return "folder \"\(name)\": already exists at \(path)"
        case let .invalidKeyword(keyword, reason):
            return "keyword \"\(keyword)\": \(reason)"
        case let .tooManyKeywords(path, keyword):
            return "keyword \"\(keyword)\": all 26 keyword letters in \(path) are in use"
        case let .invalidOwner(login, reason):
            return "mailbox of \"\(login)\": \(reason)"
        case let .threadPoolInactive(operation, path):
            return "\(operation) \(path): thread pool is not active"
        case let .cancelled(operation, path):
            return "\(operation) \(path): cancelled"
        }
    }

    static func systemMessage(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error" }
        return String(cString: text)
    }
}
