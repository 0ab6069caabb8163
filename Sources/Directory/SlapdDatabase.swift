import Foundation

/// A user entry for a slapd seeded by Shoal: an inetOrgPerson + posixAccount + shadowAccount entry under
/// `ou=people`, with `shoalMailAccount` for aliases and quotas.
public struct SlapdUser: Hashable, Sendable {
    public var login: String
    /// The `userPassword` value exactly as stored: `{SSHA}…`, `{CRYPT}$6$…`, `{CLEARTEXT}pw`, or plain text.
    public var password: String
    public var mail: String?
    public var aliases: [String]
    public var quotaBytes: UInt64?
    public var quotaMessages: UInt64?
    /// Stored as `shadowExpire: 1` (expired since 1970-01-02).
    public var disabled: Bool
    /// `homeDirectory`; nil stores `/var/mail/LOGIN`.
    public var mailbox: String?

    public init(login: String, password: String, mail: String? = nil, aliases: [String] = [],
                quotaBytes: UInt64? = nil, quotaMessages: UInt64? = nil, disabled: Bool = false, mailbox: String? = nil) {
        self.login = login
        self.password = password
        self.mail = mail
        self.aliases = aliases
        self.quotaBytes = quotaBytes
        self.quotaMessages = quotaMessages
        self.disabled = disabled
        self.mailbox = mailbox
    }
}

/// The files of a private slapd holding Shoal's mail users (slapd.conf, shoal.schema, the LDIF for slapadd):
/// the one copy used by the test fixture and by appliances' directory tier.
public struct SlapdDatabase: Sendable, Hashable {
    /// Where slapd.conf, the schema, the pid file and `data/` (the mdb database) live.
    public var directory: String
    public var baseDN: String
    public var peopleDN: String
    /// The rootdn: may do anything.
    public var adminDN: String
    public var adminPassword: String
    /// A read-only service account that may also read `userPassword` (for verify mode).
    public var readerDN: String
    public var readerPassword: String
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?

    public init(directory: String, baseDN: String, peopleDN: String, adminDN: String, adminPassword: String,
                readerDN: String, readerPassword: String) {
        self.directory = directory
        self.baseDN = baseDN
        self.peopleDN = peopleDN
        self.adminDN = adminDN
        self.adminPassword = adminPassword
        self.readerDN = readerDN
        self.readerPassword = readerPassword
    }

    public var configFile: String { directory + "/slapd.conf" }
    public var schemaFile: String { directory + "/shoal.schema" }
    public var ldifFile: String { directory + "/data.ldif" }
    public var dataDirectory: String { directory + "/data" }

    /// Attribute types and the auxiliary class Shoal's mail entries use. OIDs are under 1.3.6.1.4.1.99999.1,
    /// an arc used here for tests only (not a registered enterprise number): .1.x attribute types,
    /// .2.x object classes. Names match qmail.schema's, so directories using that schema work the same.
    public static let schema = """
        attributetype ( 1.3.6.1.4.1.99999.1.1.1 NAME 'mailAlternateAddress'
            DESC 'Shoal: an additional address (alias) delivered to this account'
            EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} )
        attributetype ( 1.3.6.1.4.1.99999.1.1.2 NAME 'mailQuotaSize'
            DESC 'Shoal: mailbox quota in bytes'
            EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
        attributetype ( 1.3.6.1.4.1.99999.1.1.3 NAME 'mailQuotaCount'
            DESC 'Shoal: mailbox quota in messages'
            EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
        objectclass ( 1.3.6.1.4.1.99999.1.2.1 NAME 'shoalMailAccount'
            DESC 'Shoal: mail aliases and quotas of an account'
            SUP top AUXILIARY
            MAY ( mailAlternateAddress $ mailQuotaSize $ mailQuotaCount ) )

        """

    /// slapd.conf: Debian's schemas and Shoal's, one mdb database, the reader account's ACLs.
    public func config() -> String {
        var text = """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            include \(schemaFile)
            pidfile \(directory)/slapd.pid
            argsfile \(directory)/slapd.args
            modulepath /usr/lib/ldap
            moduleload back_mdb.so
            moduleload pw-sha2.so

            """
        if let caFile, let certificateFile, let keyFile {
            text += """
                TLSCACertificateFile \(caFile)
                TLSCertificateFile \(certificateFile)
                TLSCertificateKeyFile \(keyFile)

                """
        }
        text += """
            database mdb
            maxsize 67108864
            suffix "\(baseDN)"
            rootdn "\(adminDN)"
            rootpw \(adminPassword)
            directory \(dataDirectory)
            index objectClass,uid,mail,mailAlternateAddress eq
            access to attrs=userPassword
                by dn.exact="\(readerDN)" read
                by self write
                by anonymous auth
                by * none
            access to *
                by dn.exact="\(readerDN)" read
                by self read
                by anonymous auth
                by * none

            """
        return text
    }

    /// The base, `ou=people`, the reader account and one entry per user, as LDIF for slapadd.
    public func ldif(users: [SlapdUser]) -> String {
        let dc = baseDN.split(separator: ",").first.map { String($0.dropFirst(3)) } ?? "shoal"
        var entries: [[(String, String)]] = [
            [("dn", baseDN), ("objectClass", "top"), ("objectClass", "dcObject"), ("objectClass", "organization"),
             ("o", "Shoal test"), ("dc", dc)],
            [("dn", peopleDN), ("objectClass", "organizationalUnit"), ("ou", "people")],
            [("dn", readerDN), ("objectClass", "organizationalRole"), ("objectClass", "simpleSecurityObject"),
             ("cn", "reader"), ("userPassword", readerPassword)],
        ]
        for (index, user) in users.enumerated() {
            let needsMailClass = !user.aliases.isEmpty || user.quotaBytes != nil || user.quotaMessages != nil
            var entry: [(String, String)] = [("dn", "uid=\(Self.dnEscape(user.login)),\(peopleDN)")]
            for objectClass in ["top", "inetOrgPerson", "posixAccount", "shadowAccount"] + (needsMailClass ? ["shoalMailAccount"] : []) {
                entry.append(("objectClass", objectClass))
            }
            entry += [("uid", user.login), ("cn", user.login), ("sn", user.login),
                      ("uidNumber", String(20_000 + index)), ("gidNumber", String(20_000 + index)),
                      ("homeDirectory", user.mailbox ?? "/var/mail/" + user.login), ("userPassword", user.password)]
            if let mail = user.mail { entry.append(("mail", mail)) }
            entry += user.aliases.map { ("mailAlternateAddress", $0) }
            if let quota = user.quotaBytes { entry.append(("mailQuotaSize", String(quota))) }
            if let count = user.quotaMessages { entry.append(("mailQuotaCount", String(count))) }
            if user.disabled { entry.append(("shadowExpire", "1")) }
            entries.append(entry)
        }
        return entries.map { $0.map(Self.ldifLine).joined(separator: "\n") }.joined(separator: "\n\n") + "\n"
    }

    /// Writes the schema, slapd.conf and the LDIF (and creates `data/`).
    public func write(users: [SlapdUser]) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try Self.schema.write(toFile: schemaFile, atomically: true, encoding: .utf8)
        try config().write(toFile: configFile, atomically: true, encoding: .utf8)
        try ldif(users: users).write(toFile: ldifFile, atomically: true, encoding: .utf8)
    }

    /// `name: value`, or `name:: base64` when the value is not an LDIF SAFE-STRING.
    public static func ldifLine(_ pair: (String, String)) -> String {
        let (name, value) = pair
        let bytes = Array(value.utf8)
        let safe = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
            && !(bytes.first.map { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "<") } ?? false)
            && bytes.last != UInt8(ascii: " ")
        return safe ? "\(name): \(value)" : "\(name):: \(Data(bytes).base64EncodedString())"
    }

    /// RFC 4514 escaping of an attribute value in a DN.
    public static func dnEscape(_ value: String) -> String {
        var out = ""
        for (i, c) in value.enumerated() {
            if ",+\"\\<>;=".contains(c) || (c == "#" && i == 0) || (c == " " && (i == 0 || i == value.count - 1)) {
                out.append("\\")
            }
            out.append(c)
        }
        return out
    }
}
