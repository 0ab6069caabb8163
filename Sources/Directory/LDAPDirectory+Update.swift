import CLDAP

/// Changing an existing LDAP user (admin pages, `shoal users enable|disable|quota|alias`): one modify request,
/// which the server applies all or nothing.
extension LDAPDirectory {
    /// Reads the entry (bypassing the cache), applies `change`, checks it and writes only the attributes that differ.
    /// Another request may change the entry between the read and the modify; the modify itself is atomic.
    public func update(login: String, _ change: @escaping @Sendable (inout DirectoryUser) -> Void) async throws(DirectoryError) -> DirectoryUser? {
        let c = configuration
        guard !login.isEmpty,
              let entry = try await findEntry(c.userFilter, name: login, attributes: userAttributes + ["objectClass"]) else { return nil }
        let before = makeUser(entry)
        var after = before
        change(&after)
        guard after.login == before.login else {
            throw DirectoryError(.invalidRequest, "the login of \(before.login) cannot be changed to \(after.login)")
        }
        try Self.validate(after)
        for address in after.addresses where !before.addresses.contains(where: { $0.lowercased() == address.lowercased() }) {
            if let owner = try await findEntry(c.addressFilter, name: address, attributes: [c.loginAttribute]), owner.dn != entry.dn {
                throw DirectoryError(.conflict, "address \(address) belongs to another user under \(c.base)")
            }
        }
        let modifications = modifications(from: before, to: after, objectClasses: entry.values("objectClass"))
        if !modifications.isEmpty {
            let dn = entry.dn
            let changed = try await pool.withConnection("modify \(dn)") { connection throws(LDAPFailure) -> Bool in
                do throws(LDAPFailure) {
                    try connection.modify(dn: dn, modifications)
                    return true
                } catch {
                    if error.code == LDAP_NO_SUCH_OBJECT { return false }
                    throw error
                }
            }
            await forgetCachedLookups()
            guard changed else { return nil }
            logger.info("LDAP user changed", metadata: ["dn": "\(dn)", "attributes": "\(modifications.map(\.attribute))"])
        }
        return try await findEntry(c.userFilter, name: login, attributes: userAttributes).map(makeUser)
    }

    /// The modify request turning `before` into `after`: replaced attributes (empty values delete them), the mail
    /// object class added first when aliases or quotas appear on an entry without it. Nothing for equal users.
    func modifications(from before: DirectoryUser, to after: DirectoryUser, objectClasses: [String]) -> [LDAPConnection.Modification] {
        let c = configuration
        var changes: [LDAPConnection.Modification] = []
        func replace(_ attribute: String, _ values: [String]) {
            changes.append(.init(operation: .replace, attribute: attribute, values: values))
        }
        if after.addresses != before.addresses {
            replace(c.mailAttribute, after.primaryAddress.map { [$0] } ?? [])
            replace(c.aliasAttribute, Array(after.addresses.dropFirst()))
        }
        if after.mailbox != before.mailbox {
            let isHome = c.mailboxAttribute.lowercased() == "homedirectory"
            replace(c.mailboxAttribute, after.mailbox.map { [$0] } ?? (isHome ? ["/var/mail/" + after.login] : []))
        }
        if after.quotaBytes != before.quotaBytes { replace(c.quotaAttribute, after.quotaBytes.map { [String($0)] } ?? []) }
        if after.quotaMessages != before.quotaMessages {
            replace(c.quotaMessagesAttribute, after.quotaMessages.map { [String($0)] } ?? [])
        }
        if after.enabled != before.enabled { replace(c.expiryAttribute, after.enabled ? [] : ["1"]) }
        let needsMailClass = after.addresses.count > 1 || after.quotaBytes != nil || after.quotaMessages != nil
        let touchesMailClass = changes.contains { [c.aliasAttribute, c.quotaAttribute, c.quotaMessagesAttribute].contains($0.attribute) && !$0.values.isEmpty }
        if needsMailClass, touchesMailClass, !objectClasses.contains(where: { $0.lowercased() == mailObjectClass.lowercased() }) {
            changes.insert(.init(operation: .add, attribute: "objectClass", values: [mailObjectClass]), at: 0)
        }
        return changes
    }
}
