import CLDAP

/// Adding, removing and re-keying users (`shoal users add|del|passwd`); the service account needs write access.
extension LDAPDirectory {
    /// Adds `uid=LOGIN,BASE` as inetOrgPerson + posixAccount + shadowAccount (+ the mail class for aliases or
    /// quotas), with uidNumber/gidNumber from `idNumber(for:)` and the password hashed with `passwordScheme`.
    public func add(_ user: DirectoryUser, password: String) async throws(DirectoryError) {
        try Self.validate(user, password: password)
        let c = configuration
        if try await findEntry(c.userFilter, name: user.login, attributes: [c.loginAttribute]) != nil {
            throw DirectoryError(.conflict, "user \(user.login) exists already under \(c.base)")
        }
        for address in user.addresses {
            if try await findEntry(c.addressFilter, name: address, attributes: [c.loginAttribute]) != nil {
                throw DirectoryError(.conflict, "address \(address) belongs to another user under \(c.base)")
            }
        }
        let dn = "\(c.loginAttribute)=\(LDAPEscaping.dnValue(user.login)),\(c.base)"
        let attributes = entryAttributes(user, password: password)
        let added = try await pool.withConnection("add \(dn)") { connection throws(LDAPFailure) -> Bool in
            do throws(LDAPFailure) {
                try connection.add(dn: dn, attributes: attributes)
                return true
            } catch {
                if error.code == LDAP_ALREADY_EXISTS { return false }
                throw error
            }
        }
        await forgetCachedLookups()
        guard added else { throw DirectoryError(.conflict, "entry \(dn) exists already", location: c.uris.first) }
        logger.info("LDAP user added", metadata: ["dn": "\(dn)"])
    }

    public func delete(login: String) async throws(DirectoryError) -> Bool {
        guard let dn = try await entryDN(login: login) else { return false }
        let deleted = try await pool.withConnection("delete \(dn)") { connection throws(LDAPFailure) -> Bool in
            do throws(LDAPFailure) {
                try connection.delete(dn: dn)
                return true
            } catch {
                if error.code == LDAP_NO_SUCH_OBJECT { return false }
                throw error
            }
        }
        await forgetCachedLookups()
        if deleted { logger.info("LDAP user deleted", metadata: ["dn": "\(dn)"]) }
        return deleted
    }

    public func setPassword(login: String, password: String) async throws(DirectoryError) -> Bool {
        guard !password.isEmpty, !password.contains("\0") else {
            throw DirectoryError(.invalidRequest, "empty password or NUL in password for \(login)")
        }
        guard let dn = try await entryDN(login: login) else { return false }
        let change = LDAPConnection.Modification(operation: .replace, attribute: configuration.passwordAttribute,
                                                 values: [storedPasswordValue(password)])
        let changed = try await pool.withConnection("set password of \(dn)") { connection throws(LDAPFailure) -> Bool in
            do throws(LDAPFailure) {
                try connection.modify(dn: dn, [change])
                return true
            } catch {
                if error.code == LDAP_NO_SUCH_OBJECT { return false }
                throw error
            }
        }
        if changed { logger.info("LDAP password changed", metadata: ["dn": "\(dn)"]) }
        return changed
    }

    public func allUsers() async throws(DirectoryError) -> [DirectoryUser] {
        try await search("(objectClass=posixAccount)", attributes: userAttributes, sizeLimit: 0)
            .map(makeUser)
            .filter { !$0.login.isEmpty }
            .sorted { $0.login < $1.login }
    }

    /// Forgets every cached lookup (after a change made through this directory).
    public func forgetCachedLookups() async {
        await loginCache.removeAll()
        await addressCache.removeAll()
    }

    /// A stable uidNumber/gidNumber for a login: 10000 + FNV-1a(login) mod 1,000,000.
    public static func idNumber(for login: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in login.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return 10_000 + Int(hash % 1_000_000)
    }

    // MARK: - Helpers

    func entryDN(login: String) async throws(DirectoryError) -> String? {
        guard !login.isEmpty else { return nil }
        return try await findEntry(configuration.userFilter, name: login, attributes: [configuration.loginAttribute])?.dn
    }

    /// The userPassword value: hashed with `passwordScheme`; `.plain` is stored bare, the only cleartext form
    /// slapd itself checks on bind (it knows neither `{PLAIN}` nor a stored `{CLEARTEXT}` prefix).
    func storedPasswordValue(_ password: String) -> String {
        passwordScheme == .plain ? password : PasswordHash.make(password, scheme: passwordScheme)
    }

    func entryAttributes(_ user: DirectoryUser, password: String) -> [(String, [String])] {
        let c = configuration
        let aliases = Array(user.addresses.dropFirst())
        let needsMailClass = !aliases.isEmpty || user.quotaBytes != nil || user.quotaMessages != nil
        let id = String(Self.idNumber(for: user.login))
        let home = user.mailbox ?? "/var/mail/" + user.login
        var attributes: [(String, [String])] = [
            ("objectClass", ["top", "inetOrgPerson", "posixAccount", "shadowAccount"] + (needsMailClass ? [mailObjectClass] : [])),
            (c.loginAttribute, [user.login]), ("cn", [user.login]), ("sn", [user.login]),
            ("uidNumber", [id]), ("gidNumber", [id]), ("homeDirectory", [home]),
            (c.passwordAttribute, [storedPasswordValue(password)]),
        ]
        if c.mailboxAttribute.lowercased() != "homedirectory", let mailbox = user.mailbox {
            attributes.append((c.mailboxAttribute, [mailbox]))
        }
        if let primary = user.primaryAddress { attributes.append((c.mailAttribute, [primary])) }
        if !aliases.isEmpty { attributes.append((c.aliasAttribute, aliases)) }
        if let quota = user.quotaBytes { attributes.append((c.quotaAttribute, [String(quota)])) }
        if let count = user.quotaMessages { attributes.append((c.quotaMessagesAttribute, [String(count)])) }
        if !user.enabled { attributes.append((c.expiryAttribute, ["1"])) }
        return attributes
    }

    /// Logins, addresses and mailboxes become C strings and DN parts: no control characters, no empties.
    static func validate(_ user: DirectoryUser, password: String) throws(DirectoryError) {
        guard !user.login.isEmpty else { throw DirectoryError(.invalidRequest, "empty login") }
        guard !password.isEmpty, !password.contains("\0") else {
            throw DirectoryError(.invalidRequest, "empty password or NUL in password for \(user.login)")
        }
        try validate(user)
    }

    /// A user's values (not the password): no empty value, no control character.
    static func validate(_ user: DirectoryUser) throws(DirectoryError) {
        guard !user.login.isEmpty else { throw DirectoryError(.invalidRequest, "empty login") }
        for value in [user.login, user.mailbox ?? "x"] + user.addresses
        where value.isEmpty || value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw DirectoryError(.invalidRequest, "user \(user.login.debugDescription): empty value or control character")
        }
        var seen: Set<String> = []
        for address in user.addresses where !seen.insert(address.lowercased()).inserted {
            throw DirectoryError(.invalidRequest, "address \(address) is listed twice for \(user.login)")
        }
    }
}
