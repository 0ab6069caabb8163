public import NIOHTTP1
public import ShoalCore
import NIOConcurrencyHelpers

/// Cookie persistence: an opaque, stable token per server (a short hash, never the address), and the
/// table from tokens back to the servers this proxy has handed out.
public final class HTTPCookiePersistence: Sendable {
    public let name: String
    private let servers = NIOLockedValueBox<[String: Endpoint]>([:])

    public init(name: String) { self.name = name }

    /// The token of a server: 12 hex digits of a 64-bit FNV-1a hash of its endpoint, stable across runs.
    public static func token(for server: Endpoint) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "shoal-srv|\(server)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash >> 16, radix: 16)
        return String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    /// Remembers `server` so its token can be honoured; returns the token.
    @discardableResult
    public func register(_ server: Endpoint) -> String {
        let token = Self.token(for: server)
        servers.withLockedValue { $0[token] = server }
        return token
    }

    /// The server a token names, if this proxy handed it out.
    public func server(for token: String) -> Endpoint? { servers.withLockedValue { $0[token] } }

    /// The value of this cookie in a request's Cookie headers (the first one), if any.
    public func token(in headers: HTTPHeaders) -> String? {
        Self.cookie(named: name, in: headers)
    }

    /// The `Set-Cookie` value that binds a client to `server` (`Secure` when clients came over HTTPS).
    public func setCookie(for server: Endpoint, secure: Bool = false) -> String {
        "\(name)=\(register(server)); Path=/; HttpOnly" + (secure ? "; Secure" : "")
    }

    /// The first value of cookie `name` in the Cookie headers (`a=1; NAME=v; b=2`).
    public static func cookie(named name: String, in headers: HTTPHeaders) -> String? {
        for header in headers["cookie"] {
            for pair in header.split(separator: ";") {
                let trimmed = Substring(pair).trimmingWhitespace()
                guard let eq = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<eq] == name {
                    var value = trimmed[trimmed.index(after: eq)...]
                    if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
                    return String(value)
                }
            }
        }
        return nil
    }
}
