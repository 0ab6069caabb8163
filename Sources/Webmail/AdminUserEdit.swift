import Directory
import Foundation

/// The administrator's edit of one user (the `/admin/update` form): addresses, quotas and whether the account is
/// enabled, every field checked and length-limited before anything reaches the directory.
struct AdminUserEdit: Hashable, Sendable {
    /// Why a form was refused, naming the field.
    struct Invalid: Error, Hashable, CustomStringConvertible {
        var field: String
        var reason: String
        var description: String { "\(field): \(reason)" }
    }

    static let maximumAddressesBytes = 1000
    static let maximumQuotaDigits = 9

    var login: String
    /// Primary address first, then aliases.
    var addresses: [String]
    var quotaBytes: UInt64?
    var quotaMessages: UInt64?
    var enabled: Bool

    init(login: String, addresses: [String], quotaBytes: UInt64?, quotaMessages: UInt64?, enabled: Bool) {
        self.login = login
        self.addresses = addresses
        self.quotaBytes = quotaBytes
        self.quotaMessages = quotaMessages
        self.enabled = enabled
    }

    /// Fields `login`, `address` (comma-separated), `quota_mb` and `quota_messages` (digits or empty for none) and
    /// `enabled` (`yes` or `no`; required, so a form that lost it never disables anyone).
    init(_ form: FormFields) throws(Invalid) {
        let login = form["login"] ?? ""
        guard WebmailResponder.isLogin(login) else { throw Invalid(field: "login", reason: "not a login") }
        let list = form["address"] ?? ""
        guard list.utf8.count <= Self.maximumAddressesBytes else {
            throw Invalid(field: "address", reason: "longer than \(Self.maximumAddressesBytes) bytes")
        }
        var addresses: [String] = []
        for address in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !address.isEmpty {
            guard MessageComposer.isAddress(address) else { throw Invalid(field: "address", reason: "not a mail address: \(address)") }
            guard !addresses.contains(where: { $0.lowercased() == address.lowercased() }) else {
                throw Invalid(field: "address", reason: "\(address) is listed twice")
            }
            addresses.append(address)
        }
        let enabled: Bool
        switch form["enabled"] {
        case "yes": enabled = true
        case "no": enabled = false
        default: throw Invalid(field: "enabled", reason: "must be yes or no")
        }
        let megabytes = try Self.quota(form["quota_mb"], field: "quota_mb")
        self.init(login: login, addresses: addresses, quotaBytes: megabytes.map { $0 * 1024 * 1024 },
                  quotaMessages: try Self.quota(form["quota_messages"], field: "quota_messages"), enabled: enabled)
    }

    /// Empty or absent is no quota; else 1 to 9 digits.
    static func quota(_ text: String?, field: String) throws(Invalid) -> UInt64? {
        let text = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        guard text.utf8.count <= maximumQuotaDigits, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt64(text) else {
            throw Invalid(field: field, reason: "a number of at most \(maximumQuotaDigits) digits, or empty for none")
        }
        return value
    }

    /// The user with this edit applied (login, mailbox and anything else untouched).
    func apply(to user: inout DirectoryUser) {
        user.addresses = addresses
        user.quotaBytes = quotaBytes
        user.quotaMessages = quotaMessages
        user.enabled = enabled
    }

    /// What changed, as audit actions: `aliases`, `quota`, `enable`, `disable`.
    static func changes(from before: DirectoryUser, to after: DirectoryUser) -> [String] {
        var changes: [String] = []
        if before.addresses != after.addresses { changes.append("aliases") }
        if before.quotaBytes != after.quotaBytes || before.quotaMessages != after.quotaMessages { changes.append("quota") }
        if before.enabled != after.enabled { changes.append(after.enabled ? "enable" : "disable") }
        return changes
    }
}
