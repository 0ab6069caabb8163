import CLDAP

/// One search result entry: its DN and the requested attributes' values (names lowercased).
struct LDAPEntry: Hashable, Sendable {
    var dn: String
    var attributes: [String: [String]]

    /// Every value of an attribute, compared without regard to the name's case.
    func values(_ name: String) -> [String] { attributes[name.lowercased()] ?? [] }

    /// The first value of an attribute.
    func first(_ name: String) -> String? { values(name).first }
}

/// A failed libldap call: the result code, the operation and URI, and the server's diagnostic message.
struct LDAPFailure: Error, Hashable, Sendable, CustomStringConvertible {
    var code: Int32
    var operation: String
    var uri: String
    var diagnostic: String?

    /// ldap_err2string's text for the code.
    var text: String { String(cString: shoal_ldap_error(code)) }

    /// The connection is unusable (server gone, connect or TLS failure, timeout): discard it, try afresh.
    var isConnectionLost: Bool {
        code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR || code == LDAP_TIMEOUT
    }

    var description: String {
        var text = "\(operation) on \(uri) failed: \(self.text) (\(code))"
        if let diagnostic, !diagnostic.isEmpty { text += ": \(diagnostic)" }
        return text
    }
}
