import CCrypt
import Crypto
import Foundation

/// The password storage schemes of an LDAP `userPassword` value: `{SCHEME}encoded`.
public enum PasswordScheme: String, Sendable, CaseIterable {
    case ssha = "SSHA"
    case ssha256 = "SSHA256"
    case ssha512 = "SSHA512"
    case crypt = "CRYPT"
    case plain = "PLAIN"
}

/// Creates and checks `{SCHEME}` password values: salted SHA-1/256/512 (base64 of digest + salt), crypt(3), plain.
public enum PasswordHash {
    /// A new stored value for `password`; CRYPT uses SHA-512 crypt (`$6$`) with a random salt.
    public static func make(_ password: String, scheme: PasswordScheme) -> String {
        switch scheme {
        case .plain:
            return "{PLAIN}" + password
        case .crypt:
            let setting = "$6$" + randomSaltText(16)
            return "{CRYPT}" + (crypt(password, setting: setting) ?? "")
        case .ssha, .ssha256, .ssha512:
            let salt = randomBytes(8)
            return "{\(scheme.rawValue)}" + Data(digest(scheme, Array(password.utf8) + salt) + salt).base64EncodedString()
        }
    }

    /// True when `password` matches the stored value. Unknown schemes and malformed values never match.
    /// `{PLAIN}`, `{CLEARTEXT}` and a value without a scheme are compared as plain text (slapd itself takes
    /// only the bare value as cleartext in bind mode).
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard stored.hasPrefix("{"), let close = stored.firstIndex(of: "}") else {
            return constantTimeEqual(Array(password.utf8), Array(stored.utf8))
        }
        let schemeName = stored[stored.index(after: stored.startIndex)..<close].uppercased()
        let value = String(stored[stored.index(after: close)...])
        switch schemeName {
        case "PLAIN", "CLEARTEXT":
            return constantTimeEqual(Array(password.utf8), Array(value.utf8))
        case "CRYPT":
            guard let computed = crypt(password, setting: value) else { return false }
            return constantTimeEqual(Array(computed.utf8), Array(value.utf8))
        case "SSHA", "SSHA256", "SSHA512":
            let scheme = PasswordScheme(rawValue: schemeName)!
            guard let decoded = Data(base64Encoded: value) else { return false }
            let size = digestSize(scheme)
            guard decoded.count > size else { return false }
            let bytes = Array(decoded)
            let expected = Array(bytes[..<size]), salt = Array(bytes[size...])
            return constantTimeEqual(digest(scheme, Array(password.utf8) + salt), expected)
        default:
            return false
        }
    }

    /// The scheme of a stored value, if it is one Shoal knows.
    public static func scheme(of stored: String) -> PasswordScheme? {
        guard stored.hasPrefix("{"), let close = stored.firstIndex(of: "}") else { return nil }
        let name = stored[stored.index(after: stored.startIndex)..<close].uppercased()
        return name == "CLEARTEXT" ? .plain : PasswordScheme(rawValue: name)
    }

    static func digestSize(_ scheme: PasswordScheme) -> Int {
        switch scheme {
        case .ssha: return 20
        case .ssha256: return 32
        default: return 64
        }
    }

    static func digest(_ scheme: PasswordScheme, _ bytes: [UInt8]) -> [UInt8] {
        switch scheme {
        case .ssha: return Array(Insecure.SHA1.hash(data: bytes))
        case .ssha256: return Array(SHA256.hash(data: bytes))
        default: return Array(SHA512.hash(data: bytes))
        }
    }

    /// crypt(3) through crypt_r; nil when the setting is not one libcrypt accepts, or when either contains a
    /// NUL (C would stop reading there, so "secret\0junk" would match the hash of "secret").
    static func crypt(_ password: String, setting: String) -> String? {
        guard !password.utf8.contains(0), !setting.utf8.contains(0) else { return nil }
        var buffer = [CChar](repeating: 0, count: 512)
        let rc = buffer.withUnsafeMutableBufferPointer { out in
            shoal_crypt(password, setting, out.baseAddress, out.count)
        }
        guard rc == 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func randomSaltText(_ count: Int) -> String {
        let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var rng = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
