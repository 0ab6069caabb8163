import Foundation
public import NIOCore
import NIOPosix
public import ShoalCore

/// Runs one check attempt of one kind against one server; never throws, never hangs past its timeouts.
public protocol Checker: Sendable {
    /// One attempt against `server` (the checker applies the spec's connect_ip / connect_port overrides).
    func check(_ server: Endpoint) async -> CheckResult
}

/// Builds the checker for a spec.
public enum Checkers {
    /// The checker of `spec`'s kind, running its sockets on `group`.
    public static func make(_ spec: CheckSpec, group: any EventLoopGroup) -> any Checker {
        switch spec.kind {
        case .tcp: return StreamChecker(spec: spec, group: group) { _ in TCPConnectConversation() }
        case let .http(http): return HTTPChecker(spec: spec, check: http, group: group)
        case let .smtp(helo): return StreamChecker(spec: spec, group: group) { _ in SMTPConversation(heloName: helo) }
        case .pop3: return StreamChecker(spec: spec, group: group) { _ in POP3Conversation() }
        case .imap: return StreamChecker(spec: spec, group: group) { _ in IMAPConversation() }
        case .icp: return ICPChecker(spec: spec, group: group)
        case let .command(command): return CommandChecker(check: command, defaultTimeout: spec.delayLoop)
        }
    }
}

/// Small shared formatting for check messages.
enum CheckText {
    /// `3s`, `0.2s`.
    static func seconds(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e9 { return "\(Int(value))s" }
        return "\((value * 1000).rounded() / 1000)s"
    }

    /// Peer text made safe for a log line: printable ASCII only, at most `limit` characters.
    static func quote(_ bytes: some Sequence<UInt8>, limit: Int = 80) -> String {
        var out = ""
        for byte in bytes {
            if out.count >= limit { out += "..."; break }
            out.append((0x20..<0x7f).contains(byte) ? Character(Unicode.Scalar(byte)) : "?")
        }
        return out
    }

    static func quote(_ text: String, limit: Int = 80) -> String { quote(Array(text.utf8), limit: limit) }

    /// A short reason for a socket error: "connection refused", "timeout after 3s", ...
    static func describe(_ error: any Error, timeout: Double) -> String {
        if let error = error as? IOError {
            return describe(errno: error.errnoCode) ?? "\(error)"
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error, timeout: timeout) }
            if error.dnsAAAAError == nil && error.dnsAError == nil { return "connect failed" }
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "timeout after \(seconds(timeout))" }
        return "\(error)"
    }

    static func describe(errno code: CInt) -> String? {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "timeout"
        default: return nil
        }
    }

    static var now: Double { Date().timeIntervalSince1970 }
}
