import Directory
import Foundation
import ShoalTestFixtures
import Testing

/// The JSON admin API of a mail node whose directory is a real slapd (the Directory tests' `SlapdFixture`), bound as the
/// directory's admin: add, password, quota, aliases, disable, enable and delete, each read back from LDAP with
/// ldapsearch and from the Directory module, and each in the audit log. Webmail on 127.0.204.1.
@Suite(.serialized) struct AdminAPILDAPTests {
    @Test func everyAdminAPIChangeIsInLDAPAndInTheAuditLog() async throws {
        _ = try requiredTool("ldapsearch", package: "ldap-utils")
        _ = try PythonPeers.python()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-wm-ldap-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: base + "/mail", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let slapd = try await offPool {
            try SlapdFixture.started(users: [
                FixtureUser(login: "alice", password: PasswordHash.make("alice-password", scheme: .ssha512), mail: "alice@shoal.test",
                            mailbox: base + "/mail/shoal.test/alice"),
                FixtureUser(login: "bob", password: PasswordHash.make("bob-password", scheme: .ssha512), mail: "bob@shoal.test",
                            mailbox: base + "/mail/shoal.test/bob"),
            ])
        }
        defer { slapd.stop() }
        try (slapd.adminPassword + "\n").write(toFile: base + "/ldap.secret", atomically: true, encoding: .utf8)
        try String(repeating: "k", count: 48).write(toFile: base + "/cookie.key", atomically: true, encoding: .utf8)
        let (certificate, key) = try await offPool { try SelfSignedCertificate.make(names: "IP:127.0.204.1") }
        let host = "127.0.204.1"
        let port = try TestPorts.free(host: host)
        let config = base + "/node.yaml"
        try """
            hostname: mail.shoal.test
            directory: "\(slapd.uri)"
            ldap: { base: "\(slapd.peopleDN)", bind_dn: "\(slapd.adminDN)", bind_password_file: "\(base)/ldap.secret" }
            store: { root: "\(base)/mail", fsync: false }
            https: { listen: \(host):\(port) }
            tls: { certificate: "\(certificate)", key: "\(key)" }
            local_domains: [shoal.test]
            webmail: { admins: [alice], secret_file: "\(base)/cookie.key", audit_log: "\(base)/audit.log" }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let node = try TestProcess(try ShoalBinary.executable(), ["mail-node", "--config", config], name: "mail-node-ldap", logDirectory: base)
        defer { node.stop() }
        try await TestPorts.waitForListener(host, [port], timeout: 60, process: node)

        let result = try await WebmailNodeFixture.peers.run("admin_api.py", ["https://\(host):\(port)", slapd.uri, slapd.adminDN,
                                                                              slapd.adminPassword, slapd.peopleDN], timeout: 180)
        let facts = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                 "\(result)\n--- node\n\(node.standardError.suffix(3000))")
        func step(_ name: String) -> [String: Any] { facts[name] as? [String: Any] ?? [:] }
        func ldif(_ name: String) -> String { step(name)["ldif"] as? String ?? "" }
        #expect(facts["admin_login"] as? Int == 303, "\(facts)")

        #expect(step("add")["status"] as? Int == 201, "\(step("add"))")
        #expect(ldif("add").contains("dn: uid=dave,\(slapd.peopleDN)") && ldif("add").contains("mail: dave@shoal.test"), "\(ldif("add"))")
        #expect(step("add")["signs_in"] as? Int == 303)
        let firstHash = ldif("add").split(separator: "\n").first { $0.hasPrefix("userPassword") }

        #expect(step("password")["status"] as? Int == 200, "\(step("password"))")
        let secondHash = ldif("password").split(separator: "\n").first { $0.hasPrefix("userPassword") }
        #expect(firstHash != nil && secondHash != nil && firstHash != secondHash)
        #expect(step("password")["old_password"] as? Int != 303 && step("password")["new_password"] as? Int == 303, "\(step("password"))")

        #expect(step("quota")["status"] as? Int == 200, "\(step("quota"))")
        #expect(ldif("quota").contains("mailQuotaSize: \(5 * 1024 * 1024)") && ldif("quota").contains("mailQuotaCount: 100"), "\(ldif("quota"))")

        #expect(step("aliases")["status"] as? Int == 200, "\(step("aliases"))")
        #expect(ldif("aliases").contains("mailAlternateAddress: dave.alias@shoal.test"), "\(ldif("aliases"))")

        #expect(step("disable")["status"] as? Int == 200, "\(step("disable"))")
        #expect(ldif("disable").contains("shadowExpire: 1"), "\(ldif("disable"))")
        #expect(step("disable")["signs_in"] as? Int != 303)

        #expect(step("enable")["status"] as? Int == 200, "\(step("enable"))")
        #expect(!ldif("enable").contains("shadowExpire") && ldif("enable").contains("uid: dave"), "\(ldif("enable"))")
        #expect(step("enable")["signs_in"] as? Int == 303)

        #expect(step("delete")["status"] as? Int == 200, "\(step("delete"))")
        #expect(ldif("delete").isEmpty, "\(ldif("delete"))")

        // The Directory module agrees with ldapsearch: dave is gone, bob untouched by a request without the token.
        #expect(facts["forged_status"] as? Int == 403, "\(facts)")
        #expect(!(facts["bob_after_forgery"] as? String ?? "").contains("shadowExpire"))
        let directory = try await DirectorySpec(parsing: slapd.uri).openDirectory(
            ldap: .init(base: slapd.peopleDN, bindDN: slapd.adminDN, bindPasswordFile: base + "/ldap.secret"))
        #expect(try await directory.user(login: "dave") == nil)
        #expect(try await directory.user(login: "bob")?.enabled == true)
        let audit = try String(contentsOfFile: base + "/audit.log", encoding: .utf8)
        let actions = audit.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("admin=alice"), line.contains("user=dave") else { return nil }
            return line.split(separator: " ").first { $0.hasPrefix("action=") }.map { String($0.dropFirst(7)) }
        }
        #expect(actions == ["add", "password", "quota", "aliases", "disable", "enable", "delete"], "\(audit)")
        #expect(!audit.contains("user=bob"), "\(audit)")
    }
}
