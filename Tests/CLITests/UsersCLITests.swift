import Foundation
import ShoalTestFixtures
import Testing

/// Runs the real `shoal users` against a fresh SQLite directory per test.
@Suite struct UsersCLITests {
    /// Runs `shoal` with `arguments`, writing `stdin` to it, and collects its status and output.
    enum UsersCLI {
        typealias Result = ShoalBinary.Result

        @discardableResult
        static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Result {
            try ShoalBinary.run(arguments, stdin: stdin, environment: environment)
        }

        /// A path in a new temporary directory (the directory itself is left for shoal to create).
        static func freshPath(_ name: String) -> String {
            FileManager.default.temporaryDirectory.appendingPathComponent("shoal-users-\(UUID().uuidString)")
                .appendingPathComponent(name).path
        }
    }

    let db = UsersCLI.freshPath("users.db")
    var spec: String { "sqlite:" + db }

    func users(_ arguments: [String], stdin: String? = nil) throws -> UsersCLI.Result {
        try UsersCLI.run(["users"] + arguments + ["--directory", spec], stdin: stdin)
    }

    @Test func addListShowPasswdCheckDel() throws {
        let add = try users(["add", "alice", "--address", "alice@example.com", "--address", "al@example.com",
                             "--mailbox", "/srv/mail/alice", "--quota-bytes", "1000000", "--quota-messages", "500"],
                            stdin: "s3cret!\nignored second line\n")
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.isEmpty && add.stderr.isEmpty)
        let addBob = try users(["add", "bob", "--address", "bob@example.org", "--disabled", "--password-scheme", "crypt"], stdin: "hunter2")
        #expect(addBob.status == 0, "\(addBob.stderr)")
        #expect(FileManager.default.fileExists(atPath: db))

        let list = try users(["list"])
        #expect(list.status == 0)
        #expect(list.stdout == "alice\talice@example.com,al@example.com\tenabled\nbob\tbob@example.org\tdisabled\n")

        let show = try users(["show", "alice"])
        #expect(show.stdout == """
            login: alice
            address: alice@example.com
            alias: al@example.com
            mailbox: /srv/mail/alice
            quota-bytes: 1000000
            quota-messages: 500
            enabled: yes

            """)
        // By address too, in any case.
        #expect(try users(["show", "BOB@example.org"]).stdout == """
            login: bob
            address: bob@example.org
            mailbox: -
            quota-bytes: -
            quota-messages: -
            enabled: no

            """)

        var check = try users(["check", "alice"], stdin: "s3cret!\n")
        #expect(check.status == 0)
        #expect(check.stdout == "alice: ok\n")
        check = try users(["check", "alice"], stdin: "s3cret\n")
        #expect(check.status == 1)
        #expect(check.stdout == "alice: wrong password\n")
        check = try users(["check", "alice"], stdin: "")
        #expect(check.status == 1)
        #expect(check.stdout == "alice: wrong password\n")
        check = try users(["check", "bob"], stdin: "hunter2\n")
        #expect(check.status == 1)
        #expect(check.stdout == "bob: disabled\n")
        check = try users(["check", "carol"], stdin: "x\n")
        #expect(check.status == 1)
        #expect(check.stdout == "carol: unknown user\n")

        let passwd = try users(["passwd", "alice"], stdin: "n3w\r\n")
        #expect(passwd.status == 0, "\(passwd.stderr)")
        #expect(try users(["check", "alice"], stdin: "n3w\n").status == 0)
        #expect(try users(["check", "alice"], stdin: "s3cret!\n").status == 1)
        let passwordFile = UsersCLI.freshPath("pw")
        try FileManager.default.createDirectory(atPath: (passwordFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "from-a-file\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        #expect(try users(["passwd", "alice", "--password-file", passwordFile]).status == 0)
        #expect(try users(["check", "alice", "--password-file", passwordFile]).stdout == "alice: ok\n")

        let del = try users(["del", "alice"])
        #expect(del.status == 0, "\(del.stderr)")
        #expect(try users(["list"]).stdout == "bob\tbob@example.org\tdisabled\n")
        #expect(try users(["show", "al@example.com"]).status == 1)
        let again = try users(["del", "alice"])
        #expect(again.status == 1)
        #expect(again.stderr == "shoal: no such user 'alice'\n")
        #expect(try users(["passwd", "alice"], stdin: "x\n").stderr == "shoal: no such user 'alice'\n")
    }

    @Test func conflictsAndBadInputAreErrors() throws {
        #expect(try users(["add", "alice", "--address", "alice@example.com"], stdin: "pw\n").status == 0)
        let conflict = try users(["add", "alias", "--address", "new@example.com", "--address", "ALICE@example.com"], stdin: "pw\n")
        #expect(conflict.status == 2)
        #expect(conflict.stderr == "shoal: address 'ALICE@example.com' belongs to 'alice' already\n")
        #expect(try users(["list"]).stdout == "alice\talice@example.com\tenabled\n")
        let same = try users(["add", "Alice", "--address", "other@example.com"], stdin: "pw\n")
        #expect(same.stderr == "shoal: user 'alice' exists already\n")

        let noPassword = try users(["add", "carol", "--address", "carol@example.com"], stdin: "")
        #expect(noPassword.status == 2)
        #expect(noPassword.stderr == "shoal: no password on standard input\n")
        let badLogin = try users(["add", "car ol", "--address", "carol@example.com"], stdin: "pw\n")
        #expect(badLogin.status == 2)
        #expect(badLogin.stderr.hasPrefix("shoal: invalid login 'car ol': "))
        let badAddress = try users(["add", "carol", "--address", "carol.example.com"], stdin: "pw\n")
        #expect(badAddress.stderr == "shoal: invalid address 'carol.example.com': it must contain exactly one @\n")
        let noAddress = try users(["add", "carol"], stdin: "pw\n")
        #expect(noAddress.status != 0)
        #expect(noAddress.stderr.contains("--address"))
        #expect(try users(["list"]).stdout == "alice\talice@example.com\tenabled\n")
    }

    @Test func badDirectorySpecsNameTheArgument() throws {
        let bad = try UsersCLI.run(["users", "list", "--directory", "mysql://db"])
        #expect(bad.status == 2)
        #expect(bad.stderr == "shoal: --directory: 'mysql://db': expected sqlite:PATH or ldap://HOST[:PORT] / ldaps://HOST[:PORT] (comma-separated for failover)\n")
        let empty = try UsersCLI.run(["users", "list", "--directory", "sqlite:"])
        #expect(empty.status == 2)
        #expect(empty.stderr.hasPrefix("shoal: --directory: 'sqlite:': the path after sqlite: is empty"))
        let badPort = try UsersCLI.run(["users", "list", "--directory", "ldap://a:389,ldap://b:99999", "--base", "dc=example,dc=com"])
        #expect(badPort.status == 2)
        #expect(badPort.stderr.hasPrefix("shoal: --directory: 'ldap://a:389,ldap://b:99999': 'ldap://b:99999': '99999' is not a port"))
        let noBase = try UsersCLI.run(["users", "list", "--directory", "ldap://127.0.0.1:1"])
        #expect(noBase.status == 2)
        #expect(noBase.stderr == "shoal: --base is required with an LDAP directory (ldap://127.0.0.1:1)\n")
        let ldapOptionOnSQLite = try users(["list", "--base", "dc=example,dc=com"])
        #expect(ldapOptionOnSQLite.status == 2)
        #expect(ldapOptionOnSQLite.stderr == "shoal: --base applies only to LDAP directories, not to \(spec)\n")
        let unwritable = try UsersCLI.run(["users", "list", "--directory", "sqlite:/proc/shoal-no/users.db"])
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.hasPrefix("shoal: /proc/shoal-no/users.db: cannot create the directory /proc/shoal-no: "))
    }

    @Test func theDirectoryCanComeFromTheEnvironment() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["SHOAL_DIRECTORY"] = spec
        #expect(try UsersCLI.run(["users", "add", "dora", "--address", "dora@example.com"], stdin: "pw\n", environment: environment).status == 0)
        #expect(try UsersCLI.run(["users", "list"], environment: environment).stdout == "dora\tdora@example.com\tenabled\n")
        #expect(try users(["check", "dora"], stdin: "pw\n").status == 0)
    }

    @Test func enableDisableQuotaAndAliasChangeExistingUsers() throws {
        #expect(try users(["add", "alice", "--address", "alice@example.com"], stdin: "pw\n").status == 0)
        #expect(try users(["add", "bob", "--address", "bob@example.com"], stdin: "pw\n").status == 0)

        #expect(try users(["disable", "alice"]).status == 0)
        #expect(try users(["check", "alice"], stdin: "pw\n").stdout == "alice: disabled\n")
        #expect(try users(["list"]).stdout == "alice\talice@example.com\tdisabled\nbob\tbob@example.com\tenabled\n")
        #expect(try users(["enable", "alice"]).status == 0)
        #expect(try users(["check", "alice"], stdin: "pw\n").stdout == "alice: ok\n")

        #expect(try users(["quota", "alice", "--bytes", "5000000", "--messages", "100"]).status == 0)
        #expect(try users(["alias", "alice", "--add", "al@example.com", "--add", "a.l@example.com"]).status == 0)
        #expect(try users(["show", "alice"]).stdout == """
            login: alice
            address: alice@example.com
            alias: al@example.com
            alias: a.l@example.com
            mailbox: -
            quota-bytes: 5000000
            quota-messages: 100
            enabled: yes

            """)
        #expect(try users(["quota", "alice", "--bytes", "none"]).status == 0)
        #expect(try users(["alias", "alice", "--remove", "AL@example.com"]).status == 0)
        let show = try users(["show", "al@example.com"])
        #expect(show.status == 1, "the removed alias still finds alice: \(show.stdout)")
        let after = try users(["show", "a.l@example.com"]).stdout
        #expect(after.contains("quota-bytes: -\n") && after.contains("quota-messages: 100\n"), "\(after)")

        // Another user's address is a conflict that changes nothing; unknown users exit 1; bad values are usage errors.
        let taken = try users(["alias", "alice", "--add", "BOB@example.com"])
        #expect(taken.status == 2)
        #expect(taken.stderr == "shoal: address 'BOB@example.com' belongs to 'bob' already\n")
        #expect(try users(["show", "alice"]).stdout.contains("BOB") == false)
        #expect(try users(["disable", "nobody"]).stderr == "shoal: no such user 'nobody'\n")
        #expect(try users(["quota", "alice", "--bytes", "lots"]).status != 0)
        #expect(try users(["quota", "alice"]).status != 0)
    }
}
