import Directory
import Foundation

/// The files of one slapd fixture: Directory's `SlapdDatabase` (slapd.conf, shoal.schema, the LDIF to
/// slapadd) and the TLS certificates.
struct SlapdFiles {
    var database: SlapdDatabase
    var directory: String { database.directory }
    var caFile: String? { database.caFile }
    var configFile: String { database.configFile }
    var ldifFile: String { database.ldifFile }

    init(directory: String, baseDN: String, adminDN: String, adminPassword: String, readerDN: String,
         readerPassword: String, peopleDN: String) {
        database = SlapdDatabase(directory: directory, baseDN: baseDN, peopleDN: peopleDN, adminDN: adminDN,
                                 adminPassword: adminPassword, readerDN: readerDN, readerPassword: readerPassword)
    }

    func write(users: [FixtureUser]) throws {
        try database.write(users: users)
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
        database.caFile = ca.certificate
        database.certificateFile = cert
        database.keyFile = key
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

    /// RFC 4514 escaping of an attribute value in a DN.
    static func dnEscape(_ value: String) -> String { SlapdDatabase.dnEscape(value) }
}
