public import ShoalCore

extension DirectorySpec {
    /// The `directory:` value (`sqlite:PATH` or `ldap[s]://…`) and the optional `ldap:` block of a
    /// configuration file (a mail node's top level, a director's mail service), errors naming file, line and
    /// field.
    public static func parse(directory node: ConfigNode, ldap ldapNode: ConfigNode?) throws(ConfigError)
        -> (spec: DirectorySpec, ldap: LDAPOptions)
    {
        let text = try node.string()
        let spec: DirectorySpec
        do throws(DirectoryError) {
            spec = try DirectorySpec(parsing: text)
        } catch {
            throw node.error(error.message)
        }
        var ldap = LDAPOptions()
        if let ldapNode {
            try ldapNode.allowOnly(["base", "bind_dn", "bind_password_file", "auth_mode", "starttls", "ca_file"])
            ldap.base = try ldapNode.optional("base")?.string()
            ldap.bindDN = try ldapNode.optional("bind_dn")?.string()
            ldap.bindPasswordFile = try ldapNode.optional("bind_password_file")?.string()
            if let mode = try ldapNode.optional("auth_mode") {
                ldap.authMode = LDAPConfiguration.AuthMode(rawValue: try mode.choice(["bind", "verify"]))
            }
            ldap.startTLS = try ldapNode.optional("starttls")?.bool() ?? false
            ldap.caFile = try ldapNode.optional("ca_file")?.string()
        }
        return (spec, ldap)
    }
}
