import Foundation

/// The files of one slapd fixture: slapd.conf, shoal.schema, the LDIF to slapadd and the TLS certificates.
struct SlapdFiles {
    let directory: String
    let baseDN, adminDN, adminPassword, readerDN, readerPassword: String
    var caFile: String?
    var certificateFile: String?
    var keyFile: String?

    var configFile: String { directory + "/slapd.conf" }
    var schemaFile: String { directory + "/shoal.schema" }
    var ldifFile: String { directory + "/data.ldif" }

    init(directory: String, baseDN: String, adminDN: String, adminPassword: String, readerDN: String,
         readerPassword: String) {
        self.directory = directory
        self.baseDN = baseDN
        self.adminDN = adminDN
        self.adminPassword = adminPassword
        self.readerDN = readerDN
        self.readerPassword = readerPassword
    }

    /// Attribute types and the auxiliary class Shoal's mail entries use. OIDs are under 1.3.6.1.4.1.99999.1,
    /// an arc used here for tests only (not a registered enterprise number): .1.x attribute types,
    /// .2.x object classes. Names match qmail.schema's, so directories using that schema work the same.
    static let schema = """
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

    func config() -> String {
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
            directory \(directory)/data
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

    func ldif(users: [FixtureUser], peopleDN: String) -> String {
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

    mutating func write(users: [FixtureUser], peopleDN: String) throws {
        try Self.schema.write(toFile: schemaFile, atomically: true, encoding: .utf8)
        try config().write(toFile: configFile, atomically: true, encoding: .utf8)
        try ldif(users: users, peopleDN: peopleDN).write(toFile: ldifFile, atomically: true, encoding: .utf8)
    }

    /// A CA and a server certificate for 127.0.0.1 and localhost signed by it (EC P-256, valid two days).
    mutating func makeCertificates() throws {
        let ca = try Self.makeCA(in: directory, name: "ca")
        let key = directory + "/server.key", csr = directory + "/server.csr", cert = directory + "/server.pem"
        let extensions = directory + "/server.ext"
        try """
            subjectAltName = IP:127.0.0.1, DNS:localhost
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth

            """.write(toFile: extensions, atomically: true, encoding: .utf8)
        _ = try SlapdFixture.run("/usr/bin/openssl", [
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=localhost",
        ])
        _ = try SlapdFixture.run("/usr/bin/openssl", [
            "x509", "-req", "-in", csr, "-CA", ca.certificate, "-CAkey", ca.key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", extensions,
        ])
        caFile = ca.certificate
        certificateFile = cert
        keyFile = key
    }

    /// A self-signed CA certificate and key named `NAME.pem` / `NAME.key` in `directory`.
    static func makeCA(in directory: String, name: String) throws -> (certificate: String, key: String) {
        let key = "\(directory)/\(name).key", certificate = "\(directory)/\(name).pem"
        _ = try SlapdFixture.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=Shoal test \(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return (certificate, key)
    }

    /// `name: value`, or `name:: base64` when the value is not an LDIF SAFE-STRING.
    static func ldifLine(_ pair: (String, String)) -> String {
        let (name, value) = pair
        let bytes = Array(value.utf8)
        let safe = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
            && !(bytes.first.map { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "<") } ?? false)
            && bytes.last != UInt8(ascii: " ")
        return safe ? "\(name): \(value)" : "\(name):: \(Data(bytes).base64EncodedString())"
    }

    /// RFC 4514 escaping of an attribute value in a DN.
    static func dnEscape(_ value: String) -> String {
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
