/// What the embedded directory accepts: logins, addresses, mailboxes, quotas and passwords.
extension SQLiteDirectory {
    static let maxLocalPart = 64
    static let maxDomain = 253
    static let maxAddress = 254

    /// A login: 1 to 64 of `A-Z a-z 0-9 . _ -`, optionally followed by `@domain`.
    static func validateLogin(_ login: String) throws(DirectoryError) {
        let rule = "a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"
        let parts = login.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let local = parts[0]
        guard !local.isEmpty, local.utf8.count <= maxLocalPart, local.utf8.allSatisfy(isLoginByte) else {
            throw DirectoryError(.invalidRequest, "invalid login '\(login)': \(rule)")
        }
        if parts.count == 2, !isDomain(parts[1]) {
            throw DirectoryError(.invalidRequest, "invalid login '\(login)': '\(parts[1])' is not a domain name; \(rule)")
        }
    }

    /// A mail address: exactly one `@`, a non-empty local part of at most 64 bytes and a domain, no spaces
    /// or control characters, at most 254 bytes in all.
    static func validateAddress(_ address: String) throws(DirectoryError) {
        func invalid(_ why: String) -> DirectoryError {
            DirectoryError(.invalidRequest, "invalid address '\(address)': \(why)")
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid("it must contain exactly one @") }
        guard !address.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) else {
            throw invalid("it contains a space or a control character")
        }
        guard !parts[0].isEmpty else { throw invalid("the part before the @ is empty") }
        guard !parts[1].isEmpty else { throw invalid("the domain after the @ is empty") }
        guard parts[0].utf8.count <= maxLocalPart else { throw invalid("the part before the @ is longer than 64 bytes") }
        guard address.utf8.count <= maxAddress else { throw invalid("it is longer than 254 bytes") }
        guard !parts[1].split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw invalid("the domain has an empty label")
        }
    }

    /// Checks every field of a new user, and that no address is listed twice.
    static func validate(_ user: DirectoryUser) throws(DirectoryError) {
        try validateLogin(user.login)
        var seen: Set<String> = []
        for address in user.addresses {
            try validateAddress(address)
            guard seen.insert(address.lowercased()).inserted else {
                throw DirectoryError(.invalidRequest, "address '\(address)' is listed twice")
            }
        }
        if let mailbox = user.mailbox {
            guard !mailbox.isEmpty, !mailbox.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw DirectoryError(.invalidRequest, "invalid mailbox '\(mailbox)': it must be a non-empty path without control characters")
            }
        }
        for (name, quota) in [("quota in bytes", user.quotaBytes), ("quota in messages", user.quotaMessages)] {
            if let quota, quota > UInt64(Int64.max) {
                throw DirectoryError(.invalidRequest, "\(name) \(quota) is too large (at most \(Int64.max))")
            }
        }
    }

    /// A password that can be stored: not empty, no NUL (crypt(3) would stop reading there).
    static func validatePassword(_ password: String, login: String) throws(DirectoryError) {
        guard !password.isEmpty else {
            throw DirectoryError(.invalidRequest, "empty password for '\(login)'")
        }
        guard !password.utf8.contains(0) else {
            throw DirectoryError(.invalidRequest, "the password for '\(login)' contains a NUL character")
        }
    }

    private static func isLoginByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Dot-separated labels of `A-Z a-z 0-9 -`, none empty, at most 253 bytes.
    private static func isDomain(_ domain: Substring) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= maxDomain else { return false }
        return domain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.utf8.allSatisfy { byte in
                byte == UInt8(ascii: "-") || (isLoginByte(byte) && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "_"))
            }
        }
    }
}
