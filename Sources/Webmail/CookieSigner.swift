import Crypto
import Foundation

/// Signs and checks the session cookie's value: `<id>.<HMAC-SHA256(id)>`, both base64url. A value whose
/// signature does not match is ignored before any table lookup.
public struct CookieSigner: Sendable {
    private let secret: [UInt8]

    /// `secret` of at least 32 bytes (a secret file, or random bytes for one process).
    public init(secret: [UInt8]) {
        self.secret = secret
    }

    private var key: SymmetricKey { SymmetricKey(data: secret) }

    /// A signer with a random key (sessions then end with the process).
    public static func random() -> CookieSigner {
        CookieSigner(secret: randomBytes(32))
    }

    /// The signed value of a session id.
    public func sign(_ id: String) -> String {
        id + "." + Self.base64url(Array(HMAC<SHA256>.authenticationCode(for: Array(id.utf8), using: key)))
    }

    /// The session id of a signed value, or nil when the signature is wrong.
    public func verify(_ value: String) -> String? {
        guard let dot = value.lastIndex(of: "."), value.utf8.count <= 256 else { return nil }
        let id = String(value[..<dot])
        guard let mac = Self.decodeBase64url(String(value[value.index(after: dot)...])) else { return nil }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(id.utf8), using: key) ? id : nil
    }

    /// `count` random bytes from the system's generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A random token of 32 bytes as base64url (session ids, CSRF tokens).
    public static func randomToken() -> String { base64url(randomBytes(32)) }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64url(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
