#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

/// Why a secret file could not be used; the description names the file and what it was for.
public struct SecretFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the file.
    public enum Reason: Error, Hashable, Sendable {
        /// open or read failed; the text is strerror's.
        case unreadable(String)
        case empty
        /// More than one line: a secret is one line, with at most one line ending.
        case multipleLines
        case tooLarge
    }

    public var path: String
    /// What the secret is for, e.g. "admin token file".
    public var what: String
    public var reason: Reason

    public init(path: String, what: String, reason: Reason) {
        self.path = path
        self.what = what
        self.reason = reason
    }

    public var description: String { "\(path): \(problem)" }

    /// What is wrong, without the path (for errors that carry the location separately).
    public var problem: String {
        switch reason {
        case let .unreadable(why): return "cannot read the \(what): \(why)"
        case .empty: return "the \(what) is empty"
        case .multipleLines: return "the \(what) has more than one line"
        case .tooLarge: return "the \(what) is over \(SecretFile.maximumBytes) bytes"
        }
    }
}

/// Reads a secret (token, password) from a file: the whole content less one trailing line ending.
///
/// The one reader for every token and password file: a trailing `\n` or `\r\n` is dropped (editors add
/// one), nothing else is trimmed (spaces may be part of a password), and an unreadable, empty or
/// multi-line file is refused with an error naming it.
public enum SecretFile {
    /// Secrets are short; a bigger file is the wrong file.
    public static let maximumBytes = 64 * 1024

    /// The secret in `path`; `what` names it in errors ("admin token file", "password file").
    public static func read(_ path: String, what: String = "secret file", allowEmpty: Bool = false) throws(SecretFileError) -> String {
        do throws(SecretFileError.Reason) {
            let secret = try decode(try readBytes(path))
            if secret.isEmpty && !allowEmpty { throw SecretFileError.Reason.empty }
            return secret
        } catch {
            throw SecretFileError(path: path, what: what, reason: error)
        }
    }

    /// The secret in a file's bytes: one trailing LF or CRLF dropped; a further line break is refused.
    public static func decode(_ bytes: [UInt8]) throws(SecretFileError.Reason) -> String {
        var content = bytes[...]
        if content.last == UInt8(ascii: "\n") {
            content = content.dropLast()
            if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
        }
        if content.contains(UInt8(ascii: "\n")) || content.contains(UInt8(ascii: "\r")) { throw .multipleLines }
        return String(decoding: content, as: UTF8.self)
    }

    static func readBytes(_ path: String) throws(SecretFileError.Reason) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
            if bytes.count > SecretFile.maximumBytes { throw .tooLarge }
        }
    }
}
