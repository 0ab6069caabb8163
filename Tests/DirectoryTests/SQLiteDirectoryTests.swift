@testable import Directory
import Foundation
import Testing

/// The embedded SQLite directory, on real files in a temporary directory.
@Suite struct SQLiteDirectoryTests {
    /// A fresh database path in its own (not yet existing) directory.
    static func freshPath(_ name: String = "users.db") -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("shoal-sqlite-\(UUID().uuidString)")
            .appendingPathComponent("nested")
            .appendingPathComponent(name).path
    }

    static let alice = DirectoryUser(login: "alice", addresses: ["Alice@Example.com", "al@example.com"],
                                     mailbox: "/srv/mail/example.com/alice", quotaBytes: 1_000_000, quotaMessages: 500)
    static let bob = DirectoryUser(login: "bob@example.org", addresses: ["bob@example.org"])

    static func directoryWithAlice(_ scheme: PasswordScheme = .ssha512) async throws -> SQLiteDirectory {
        let directory = try SQLiteDirectory(path: freshPath(), passwordScheme: scheme)
        try await directory.add(alice, password: "s3cret!")
        return directory
    }

    /// The `DirectoryError` `body` throws, or nil (with an issue recorded) when it throws none.
    static func error(_ body: () async throws -> Void) async -> DirectoryError? {
        do {
            try await body()
            Issue.record("expected a DirectoryError")
            return nil
        } catch let error as DirectoryError {
            return error
        } catch {
            Issue.record("expected a DirectoryError, got \(error)")
            return nil
        }
    }

    @Test func looksUpByLoginAndEveryAddressWithoutRegardToCase() async throws {
        let directory = try await Self.directoryWithAlice()
        try await directory.add(Self.bob, password: "hunter2")
        #expect(try await directory.user(login: "alice") == Self.alice)
        #expect(try await directory.user(login: "ALICE") == Self.alice)
        #expect(try await directory.user(login: "BOB@Example.ORG") == Self.bob)
        for address in ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com", "al@example.com", "Al@Example.Com"] {
            #expect(try await directory.user(address: address) == Self.alice, "\(address)")
        }
        #expect(try await directory.user(address: "bob@EXAMPLE.org") == Self.bob)
        #expect(try await directory.user(login: "carol") == nil)
        #expect(try await directory.user(address: "carol@example.com") == nil)
        // A login is not an address, and vice versa.
        #expect(try await directory.user(login: "al@example.com") == nil)
        #expect(try await directory.user(address: "alice") == nil)
        // Primary address first, as given.
        #expect(try await directory.user(address: "al@example.com")?.primaryAddress == "Alice@Example.com")
        #expect(try await directory.allUsers() == [Self.alice, Self.bob])
    }

    @Test func opensOffTheCallersThreadThroughTheSpec() async throws {
        let path = Self.freshPath()
        let directory = try await SQLiteDirectory.open(path: path)
        try await directory.add(Self.alice, password: "s3cret!")
        let reopened = try await DirectorySpec.sqlite(path: path).openDirectory()
        #expect(try await reopened.user(login: "alice")?.login == "alice")
        let error = await Self.error { _ = try await SQLiteDirectory.open(path: "/proc/shoal-cannot-be-here/users.db") }
        #expect(error?.kind == .storage && error?.location == "/proc/shoal-cannot-be-here/users.db")
    }

    @Test func authenticates() async throws {
        let directory = try await Self.directoryWithAlice()
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!") == .success(Self.alice))
        #expect(try await directory.authenticate(login: "Alice", password: "s3cret!") == .success(Self.alice))
        #expect(try await directory.authenticate(login: "alice", password: "s3cret") == .wrongPassword)
        #expect(try await directory.authenticate(login: "alice", password: "S3CRET!") == .wrongPassword)
        #expect(try await directory.authenticate(login: "alice", password: "") == .wrongPassword)
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!\0more") == .wrongPassword)
        #expect(try await directory.authenticate(login: "mallory", password: "s3cret!") == .unknownUser)
        #expect(try await directory.authenticate(login: "", password: "") == .unknownUser)
    }

    @Test func disabledUsersNeverAuthenticate() async throws {
        let directory = try SQLiteDirectory(path: Self.freshPath())
        var carol = DirectoryUser(login: "carol", addresses: ["carol@example.com"])
        carol.enabled = false
        try await directory.add(carol, password: "pw")
        #expect(try await directory.authenticate(login: "carol", password: "pw") == .disabled)
        // Without the right password nobody learns the account is disabled.
        #expect(try await directory.authenticate(login: "carol", password: "nope") == .wrongPassword)
        #expect(try await directory.authenticate(login: "carol", password: "") == .wrongPassword)
        // Still found (mail nodes reject mail for it themselves).
        #expect(try await directory.user(address: "carol@example.com")?.enabled == false)
    }

    @Test(arguments: [PasswordScheme.ssha512, .crypt])
    func storesPasswordsWithTheConfiguredScheme(_ scheme: PasswordScheme) async throws {
        let directory = try await Self.directoryWithAlice(scheme)
        let stored = try #require(try await directory.storedPassword(login: "alice"))
        #expect(stored.hasPrefix("{\(scheme.rawValue)}"))
        #expect(PasswordHash.scheme(of: stored) == scheme)
        if scheme == .crypt { #expect(stored.dropFirst("{CRYPT}".count).hasPrefix("$6$")) }
        #expect(!stored.contains("s3cret!"))
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!").user == Self.alice)
        #expect(try await directory.authenticate(login: "alice", password: "wrong") == .wrongPassword)
        // The same password twice is salted differently.
        try await directory.add(DirectoryUser(login: "twin"), password: "s3cret!")
        #expect(try await directory.storedPassword(login: "twin") != stored)
    }

    @Test(arguments: [PasswordScheme.ssha, .ssha256, .plain])
    func refusesToStoreWeakSchemes(_ scheme: PasswordScheme) throws {
        let path = Self.freshPath()
        #expect {
            try SQLiteDirectory(path: path, passwordScheme: scheme)
        } throws: { error in
            let error = error as? DirectoryError
            return error?.kind == .configuration && error?.description == "\(path): passwords cannot be stored as {\(scheme.rawValue)}; use SSHA512 or CRYPT"
        }
    }

    @Test func readsPasswordsStoredWithTheOtherScheme() async throws {
        let path = Self.freshPath()
        let crypt = try SQLiteDirectory(path: path, passwordScheme: .crypt)
        try await crypt.add(Self.alice, password: "s3cret!")
        let ssha = try SQLiteDirectory(path: path)
        #expect(try await ssha.authenticate(login: "alice", password: "s3cret!").user == Self.alice)
        #expect(try await ssha.setPassword(login: "alice", password: "n3w"))
        #expect(try await ssha.storedPassword(login: "alice")?.hasPrefix("{SSHA512}") == true)
        #expect(try await crypt.authenticate(login: "alice", password: "n3w").user == Self.alice)
    }

    @Test func conflictsNameTheClashAndWriteNothing() async throws {
        let directory = try await Self.directoryWithAlice()
        let sameLogin = await Self.error { try await directory.add(DirectoryUser(login: "ALICE", addresses: ["new@example.com"]), password: "x") }
        #expect(sameLogin == DirectoryError(.conflict, "user 'alice' exists already"))
        #expect(try await directory.user(address: "new@example.com") == nil)

        // The second address belongs to alice: the user and the first address must not be written either.
        let clash = DirectoryUser(login: "dave", addresses: ["dave@example.com", "AL@example.com"])
        let address = await Self.error { try await directory.add(clash, password: "x") }
        #expect(address == DirectoryError(.conflict, "address 'AL@example.com' belongs to 'alice' already"))
        #expect(try await directory.user(login: "dave") == nil)
        #expect(try await directory.user(address: "dave@example.com") == nil)
        #expect(try await directory.allUsers() == [Self.alice])
        #expect(try await directory.authenticate(login: "dave", password: "x") == .unknownUser)

        // With the clash gone, the same user can be added.
        try await directory.add(DirectoryUser(login: "dave", addresses: ["dave@example.com"]), password: "x")
        #expect(try await directory.user(address: "DAVE@example.com")?.login == "dave")
    }

    @Test func deleteCascadesToAddresses() async throws {
        let directory = try await Self.directoryWithAlice()
        #expect(try await directory.delete(login: "ALICE"))
        #expect(try await directory.delete(login: "alice") == false)
        #expect(try await directory.user(login: "alice") == nil)
        #expect(try await directory.user(address: "al@example.com") == nil)
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!") == .unknownUser)
        // The addresses are free again.
        try await directory.add(DirectoryUser(login: "newalice", addresses: ["al@example.com", "alice@example.com"]), password: "pw")
        #expect(try await directory.user(address: "Alice@Example.com")?.login == "newalice")
    }

    @Test func setsPasswords() async throws {
        let directory = try await Self.directoryWithAlice(.crypt)
        let before = try await directory.storedPassword(login: "alice")
        #expect(try await directory.setPassword(login: "Alice", password: "n3w pässwörd"))
        #expect(try await directory.storedPassword(login: "alice") != before)
        #expect(try await directory.authenticate(login: "alice", password: "n3w pässwörd").user == Self.alice)
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!") == .wrongPassword)
        #expect(try await directory.setPassword(login: "nobody", password: "x") == false)
        let empty = await Self.error { _ = try await directory.setPassword(login: "alice", password: "") }
        #expect(empty == DirectoryError(.invalidRequest, "empty password for 'alice'"))
        let nul = await Self.error { _ = try await directory.setPassword(login: "alice", password: "a\0b") }
        #expect(nul?.kind == .invalidRequest)
        #expect(try await directory.authenticate(login: "alice", password: "n3w pässwörd").user == Self.alice)
    }

    @Test func updatesAddressesQuotasAndEnabledAllOrNothing() async throws {
        let directory = try await Self.directoryWithAlice()
        try await directory.add(Self.bob, password: "bob-pw")
        let changed = try await directory.update(login: "ALICE") { user in
            user.addresses = ["alice@example.com", "liddell@example.com"]
            user.quotaBytes = nil
            user.quotaMessages = 20
            user.enabled = false
        }
        let expected = DirectoryUser(login: "alice", addresses: ["alice@example.com", "liddell@example.com"],
                                     mailbox: Self.alice.mailbox, quotaBytes: nil, quotaMessages: 20, enabled: false)
        #expect(changed == expected)
        #expect(try await directory.user(login: "alice") == expected)
        #expect(try await directory.user(address: "LIDDELL@example.com")?.login == "alice")
        #expect(try await directory.user(address: "al@example.com") == nil)  // the old alias is free
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!") == .disabled)
        #expect(try await directory.update(login: "alice") { $0.enabled = true }?.enabled == true)
        #expect(try await directory.authenticate(login: "alice", password: "s3cret!").user?.addresses.count == 2)

        // Another user's address, a changed login or a bad address: refused, nothing written.
        let before = try await directory.allUsers()
        let taken = await Self.error { _ = try await directory.update(login: "alice") { $0.addresses += ["BOB@example.org"] } }
        #expect(taken == DirectoryError(.conflict, "address 'BOB@example.org' belongs to 'bob@example.org' already"))
        let renamed = await Self.error { _ = try await directory.update(login: "alice") { $0.login = "eve"; $0.quotaMessages = 1 } }
        #expect(renamed?.kind == .invalidRequest)
        let bad = await Self.error { _ = try await directory.update(login: "alice") { $0.addresses = ["no-at-sign"]; $0.enabled = false } }
        #expect(bad?.kind == .invalidRequest)
        let twice = await Self.error { _ = try await directory.update(login: "alice") { $0.addresses = ["x@example.com", "X@example.com"] } }
        #expect(twice?.kind == .invalidRequest)
        #expect(try await directory.allUsers() == before)
        #expect(try await directory.update(login: "nobody") { $0.enabled = false } == nil)
        // Reordering one's own addresses is allowed (the primary is the first).
        #expect(try await directory.update(login: "alice") { $0.addresses.reverse() }?.primaryAddress == "liddell@example.com")
    }

    @Test func reopenedFilesKeepTheirData() async throws {
        let path = Self.freshPath()
        do {
            let directory = try SQLiteDirectory(path: path)
            try await directory.add(Self.alice, password: "s3cret!")
            try await directory.add(Self.bob, password: "hunter2")
        }
        #expect(FileManager.default.fileExists(atPath: path))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let reopened = try SQLiteDirectory(path: path)
        #expect(try await reopened.allUsers() == [Self.alice, Self.bob])
        #expect(try await reopened.authenticate(login: "bob@example.org", password: "hunter2").user == Self.bob)
        // Two directories on one file see each other's writes.
        let other = try SQLiteDirectory(path: path)
        #expect(try await other.delete(login: "bob@example.org"))
        #expect(try await reopened.user(login: "bob@example.org") == nil)
    }

    @Test func manyConcurrentAuthentications() async throws {
        let directory = try await Self.directoryWithAlice(.crypt)
        try await directory.add(Self.bob, password: "hunter2")
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask {
                    switch i % 4 {
                    case 0: return try await directory.authenticate(login: "alice", password: "s3cret!").user == Self.alice
                    case 1: return try await directory.authenticate(login: "alice", password: "wrong\(i)") == .wrongPassword
                    case 2: return try await directory.authenticate(login: "bob@example.org", password: "hunter2").user == Self.bob
                    default: return try await directory.user(address: "al@example.com") == Self.alice
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0 })
    }

    @Test func concurrentAddsOfOneAddressLetExactlyOneWin() async throws {
        let directory = try SQLiteDirectory(path: Self.freshPath())
        let outcomes = await withTaskGroup(of: DirectoryError.Kind?.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do {
                        try await directory.add(DirectoryUser(login: "user\(i)", addresses: ["shared@example.com"]), password: "pw")
                        return nil
                    } catch let error as DirectoryError {
                        return error.kind
                    } catch {
                        return .server
                    }
                }
            }
            return await group.reduce(into: [DirectoryError.Kind?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .conflict }.count == 19)
        #expect(try await directory.allUsers().count == 1)
    }

    @Test(arguments: [
        (DirectoryUser(login: ""), "invalid login '': a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: "al ice"), "invalid login 'al ice': a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: "ålice"), "invalid login 'ålice': a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: String(repeating: "a", count: 65)),
         "invalid login '\(String(repeating: "a", count: 65))': a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: "alice@"), "invalid login 'alice@': '' is not a domain name; a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: "alice@ex..com"), "invalid login 'alice@ex..com': 'ex..com' is not a domain name; a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: "a@b@c"), "invalid login 'a@b@c': 'b@c' is not a domain name; a login is 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain"),
        (DirectoryUser(login: "alice", addresses: ["alice.example.com"]), "invalid address 'alice.example.com': it must contain exactly one @"),
        (DirectoryUser(login: "alice", addresses: ["a@b@example.com"]), "invalid address 'a@b@example.com': it must contain exactly one @"),
        (DirectoryUser(login: "alice", addresses: ["@example.com"]), "invalid address '@example.com': the part before the @ is empty"),
        (DirectoryUser(login: "alice", addresses: ["alice@"]), "invalid address 'alice@': the domain after the @ is empty"),
        (DirectoryUser(login: "alice", addresses: ["al ice@example.com"]), "invalid address 'al ice@example.com': it contains a space or a control character"),
        (DirectoryUser(login: "alice", addresses: ["alice@example..com"]), "invalid address 'alice@example..com': the domain has an empty label"),
        (DirectoryUser(login: "alice", addresses: ["a@example.com", "A@EXAMPLE.COM"]), "address 'A@EXAMPLE.COM' is listed twice"),
        (DirectoryUser(login: "alice", mailbox: ""), "invalid mailbox '': it must be a non-empty path without control characters"),
        (DirectoryUser(login: "alice", mailbox: "/srv/mail\n"), "invalid mailbox '/srv/mail\n': it must be a non-empty path without control characters"),
        (DirectoryUser(login: "alice", quotaBytes: UInt64.max), "quota in bytes \(UInt64.max) is too large (at most \(Int64.max))"),
    ])
    func rejectsBadInputWithItsReason(_ user: DirectoryUser, _ message: String) async throws {
        let directory = try SQLiteDirectory(path: Self.freshPath())
        let error = await Self.error { try await directory.add(user, password: "pw") }
        #expect(error == DirectoryError(.invalidRequest, message))
        #expect(try await directory.allUsers().isEmpty)
    }

    @Test func acceptsTheWholeLoginAlphabet() async throws {
        let directory = try SQLiteDirectory(path: Self.freshPath())
        let logins = ["A.b_c-9", String(repeating: "x", count: 64), "bob@mail-1.example.org", "x@localhost"]
        for login in logins { try await directory.add(DirectoryUser(login: login), password: "pw") }
        #expect(try await directory.allUsers().map(\.login) == logins.sorted { $0.lowercased() < $1.lowercased() })
        let empty = await Self.error { try await directory.add(DirectoryUser(login: "eve"), password: "") }
        #expect(empty == DirectoryError(.invalidRequest, "empty password for 'eve'"))
    }

    /// crypt(3) reads C strings: without a guard, "s3cret!\0junk" would match the hash of "s3cret!".
    @Test func aNULNeverMatchesACryptValue() {
        let stored = PasswordHash.make("s3cret!", scheme: .crypt)
        #expect(PasswordHash.verify("s3cret!", against: stored))
        #expect(!PasswordHash.verify("s3cret!\0junk", against: stored))
        #expect(!PasswordHash.verify("s3cret!", against: stored + "\0"))
    }

    @Test func unusablePathsAreNamed() async throws {
        // A regular file where the parent directory should be.
        let file = Self.freshPath("plain-file")
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "not a directory".write(toFile: file, atomically: true, encoding: .utf8)
        let below = file + "/sub/users.db"
        #expect {
            try SQLiteDirectory(path: below)
        } throws: { error in
            let error = error as? DirectoryError
            return error?.kind == .storage && error?.location == below
                && (error?.description.hasPrefix("\(below): cannot create the directory \(file)/sub: ") ?? false)
        }
        // A file that is not a database.
        #expect {
            try SQLiteDirectory(path: file)
        } throws: { error in
            let error = error as? DirectoryError
            return error?.kind == .storage && error?.description.hasPrefix("\(file): cannot open the database: ") == true
        }
        // A directory where the file should be.
        let dir = (file as NSString).deletingLastPathComponent
        #expect {
            try SQLiteDirectory(path: dir)
        } throws: { error in
            (error as? DirectoryError)?.location == dir
        }
    }

    // MARK: - DirectorySpec (the --directory argument)

    @Test func parsesDirectorySpecs() throws {
        #expect(try DirectorySpec(parsing: "sqlite:/var/lib/shoal/users.db") == .sqlite(path: "/var/lib/shoal/users.db"))
        #expect(try DirectorySpec(parsing: "SQLite:relative.db") == .sqlite(path: "relative.db"))
        #expect(try DirectorySpec(parsing: "ldap://ldap1:389, ldaps://[2001:db8::1]:636,ldap://ldap3/")
            == .ldap(uris: ["ldap://ldap1:389", "ldaps://[2001:db8::1]:636", "ldap://ldap3/"]))
        #expect(try DirectorySpec(parsing: "ldap://a,ldap://b").description == "ldap://a,ldap://b")
        #expect(try DirectorySpec(parsing: DirectorySpec.defaultArgument) == .sqlite(path: "/var/lib/shoal/users.db"))
        let expected = "expected sqlite:PATH or ldap://HOST[:PORT] / ldaps://HOST[:PORT] (comma-separated for failover)"
        let cases: [(String, String)] = [
            ("users.db", "'users.db': \(expected)"),
            ("sqlite:", "'sqlite:': the path after sqlite: is empty; \(expected)"),
            ("ldap://a,,ldap://b", "'ldap://a,,ldap://b': an empty URI in the list; \(expected)"),
            ("ldap://a,http://b", "'ldap://a,http://b': 'http://b' is not an ldap:// or ldaps:// URI; \(expected)"),
            ("ldap://a:0", "'ldap://a:0': 'ldap://a:0': '0' is not a port; \(expected)"),
            ("ldap://a:x", "'ldap://a:x': 'ldap://a:x': 'x' is not a port; \(expected)"),
            ("ldap://2001:db8::1", "'ldap://2001:db8::1': 'ldap://2001:db8::1': put an IPv6 address in brackets; \(expected)"),
            ("ldap://a/dc=example,dc=com", "'ldap://a/dc=example,dc=com': 'ldap://a/dc=example': give the base with --base, not in the URI; \(expected)"),
        ]
        for (argument, message) in cases {
            #expect(throws: DirectoryError(.configuration, message, location: "--directory")) {
                try DirectorySpec(parsing: argument)
            }
        }
    }

    @Test func buildsLDAPConfigurationsFromOptions() throws {
        let secret = Self.freshPath("bind.secret")
        try FileManager.default.createDirectory(atPath: (secret as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "p4ss word\r\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let spec = try DirectorySpec(parsing: "ldap://ldap1,ldap://ldap2:1389")
        var options = DirectorySpec.LDAPOptions(base: "dc=example,dc=com", bindDN: "cn=shoal,dc=example,dc=com",
                                                bindPasswordFile: secret, authMode: .verify, startTLS: true)
        let configuration = try spec.ldapConfiguration(options)
        #expect(configuration.uris == ["ldap://ldap1", "ldap://ldap2:1389"])
        #expect(configuration.base == "dc=example,dc=com")
        #expect(configuration.bindDN == "cn=shoal,dc=example,dc=com")
        #expect(configuration.bindPassword == "p4ss word")
        #expect(configuration.authMode == .verify)
        #expect(configuration.tls == .startTLS)
        #expect(configuration.caFile == nil)

        func fails(_ options: DirectorySpec.LDAPOptions, _ spec: DirectorySpec = spec) -> String? {
            do {
                _ = try spec.ldapConfiguration(options)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(fails(.init()) == "--base is required with an LDAP directory (ldap://ldap1,ldap://ldap2:1389)")
        #expect(fails(.init(base: "dc=x", bindDN: "cn=a")) == "--bind-dn needs --bind-password-file")
        #expect(fails(.init(base: "dc=x", bindPasswordFile: secret)) == "--bind-password-file needs --bind-dn")
        #expect(fails(.init(base: "dc=x", bindDN: "cn=a", bindPasswordFile: secret + ".missing"))
            == "\(secret).missing: cannot read the bind password file: No such file or directory")
        #expect(fails(.init(base: "dc=x", caFile: "/nonexistent/ca.pem")) == "/nonexistent/ca.pem: cannot read the CA file (--ca-file)")
        #expect(fails(.init(base: "dc=x", startTLS: true), try DirectorySpec(parsing: "ldap://a,ldaps://b"))
            == "--starttls cannot be used with ldaps://b, which is TLS already")
        options.startTLS = false
        #expect(fails(options, .sqlite(path: "/x")) == "--directory: 'sqlite:/x' is not an LDAP directory")

        // LDAP options make no sense for the embedded directory.
        #expect(throws: DirectoryError(.configuration, "--bind-dn applies only to LDAP directories, not to sqlite:/x")) {
            try DirectorySpec.sqlite(path: "/x").makeDirectory(ldap: .init(bindDN: "cn=a"))
        }
        let sqlite = try DirectorySpec(parsing: "sqlite:" + Self.freshPath()).makeDirectory(passwordScheme: .crypt)
        #expect((sqlite as? SQLiteDirectory)?.passwordScheme == .crypt)
    }
}
