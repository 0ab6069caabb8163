#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
public import NIOCore
public import NIOHTTP1
public import NIOPosix
import ServiceLifecycle

/// The access log in the combined log format, appended to a file. Lines are buffered in memory and written on
/// the file thread pool (never on an event loop) when 64 KiB have gathered or ``flush()`` is called (the node
/// does once a second and at shutdown).
public final class AccessLog: Sendable {
    public let path: String
    let pool: NIOThreadPool
    private let file: NIOLockedValueBox<LogFile>
    private let buffer = NIOLockedValueBox<[UInt8]>([])
    static let flushThreshold = 64 * 1024

    /// Opens (creating, appending) the log file; errors name the file.
    public init(path: String, pool: NIOThreadPool) throws(AccessLogError) {
        self.path = path
        self.pool = pool
        file = NIOLockedValueBox(try LogFile(path: path))
    }

    /// Opens the file again (after logrotate moved it; SIGHUP); on error the old file stays.
    public func reopen() throws(AccessLogError) {
        flush()
        let next = try LogFile(path: path)
        file.withLockedValue { $0 = next }
    }

    /// Appends one request's line.
    public func record(_ head: HTTPRequestHead, status: UInt, bytes: Int64, remote: SocketAddress?, now: Int64? = nil) {
        let line = Self.line(head, status: status, bytes: bytes, remote: remote, now: now ?? Int64(time(nil)))
        let full: [UInt8]? = buffer.withLockedValue { buffer in
            buffer.append(contentsOf: line.utf8)
            guard buffer.count >= Self.flushThreshold else { return nil }
            defer { buffer = [] }
            return buffer
        }
        if let full { write(full) }
    }

    /// Appends one line already formatted (another log format, e.g. the cache node's Squid-native lines).
    public func record(line: String) {
        let full: [UInt8]? = buffer.withLockedValue { buffer in
            buffer.append(contentsOf: line.utf8)
            guard buffer.count >= Self.flushThreshold else { return nil }
            defer { buffer = [] }
            return buffer
        }
        if let full { write(full) }
    }

    /// Writes what is buffered (on the pool).
    public func flush() {
        let pending: [UInt8] = buffer.withLockedValue { buffer in
            defer { buffer = [] }
            return buffer
        }
        if !pending.isEmpty { write(pending) }
    }

    /// Flushes every second until the task is cancelled or a graceful shutdown starts (a node runs it beside
    /// its servers, then flushes once more at the end).
    public func flushEverySecond() async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            flush()
        }
    }

    private func write(_ bytes: [UInt8]) {
        let target = file.withLockedValue { $0 }
        pool.submit { state in
            let fd = target.descriptor
            guard state == .active else { return }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
    }

    /// `127.0.0.1 - - [03/Dec/2026:17:30:24 +0000] "GET /a HTTP/1.1" 200 512 "referer" "agent"`
    static func line(_ head: HTTPRequestHead, status: UInt, bytes: Int64, remote: SocketAddress?, now: Int64) -> String {
        let address = remote?.ipAddress ?? "-"
        let referer = head.headers.first(name: "Referer").map(escape) ?? "-"
        let agent = head.headers.first(name: "User-Agent").map(escape) ?? "-"
        let request = escape("\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)")
        return "\(address) - - [\(commonLogTime(now))] \"\(request)\" \(status) \(bytes) \"\(referer)\" \"\(agent)\"\n"
    }

    /// `03/Dec/2026:17:30:24 +0000`
    static func commonLogTime(_ seconds: Int64) -> String {
        let days = seconds / 86_400, secondOfDay = seconds % 86_400
        let (year, month, day) = HTTPDate.civil(fromDays: days)
        return "\(HTTPDate.pad(day))/\(HTTPDate.monthNames[Int(month) - 1])/\(year):\(HTTPDate.pad(secondOfDay / 3600)):"
            + "\(HTTPDate.pad(secondOfDay % 3600 / 60)):\(HTTPDate.pad(secondOfDay % 60)) +0000"
    }

    /// Quotes and control bytes as `\xHH`, so a request cannot forge log lines.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(UnicodeScalar(byte))
            }
        }
        return out
    }
}

/// The access log file could not be opened.
public struct AccessLogError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot open the access log \(path): \(reason)" }
}

/// An open log file; closed when the last write holding it is done.
final class LogFile: Sendable {
    let descriptor: CInt

    init(path: String) throws(AccessLogError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AccessLogError(path: path, reason: String(cString: strerror(errno))) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
