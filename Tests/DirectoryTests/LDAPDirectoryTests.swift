import Foundation
import Testing
@testable import Directory
import ShoalTestFixtures

/// LDAPDirectory against a real slapd started per test (Debian slapd 2.5, ldap-utils, openssl).
@Suite(.serialized)
struct LDAPDirectoryTests {
    typealias Mode = LDAPConfiguration.AuthMode

    // MARK: Users and stored password values

    /// Login → cleartext password; every stored value made outside PasswordHash except heidi's.
    static let passwords = [
        "alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw", "erin": "erin-pw",
        "frank": "frank-pw", "grace": "grace-pw", "heidi": "heidi-pw", "ivan": "ivan-pw", "mallory": "mallory-pw",
    ]
    /// Schemes slapd itself checks in bind mode (a bare value is cleartext to slapd).
    static let bindableLogins = ["alice", "bob", "carol", "dave", "erin", "heidi", "ivan"]
    /// `{PLAIN}` and `{CLEARTEXT}` are Shoal/Dovecot schemes: only verify mode checks them.
    static let verifyOnlyLogins = ["frank", "grace"]

    static func users() throws -> [FixtureUser] {
        [
            FixtureUser(login: "alice", password: try SlapdFixture.slappasswd("alice-pw", scheme: "{SSHA}"),
                        mail: "alice@shoal.test", aliases: ["A.Liddell@shoal.test", "alice@wonder.test"],
                        quotaBytes: 1_000_000, quotaMessages: 500, mailbox: "/srv/mail/alice"),
            FixtureUser(login: "bob", password: try pythonSSHA256("bob-pw"), mail: "bob@shoal.test"),
            FixtureUser(login: "carol", password: try SlapdFixture.slappasswd("carol-pw", scheme: "{SSHA512}"),
                        mail: "carol@shoal.test"),
            FixtureUser(login: "dave", password: "{CRYPT}" + (try opensslCrypt("dave-pw")), mail: "dave@shoal.test"),
            FixtureUser(login: "erin", password: "erin-pw", mail: "erin@shoal.test"),
            FixtureUser(login: "frank", password: "{PLAIN}frank-pw", mail: "frank@shoal.test"),
            FixtureUser(login: "grace", password: "{CLEARTEXT}grace-pw", mail: "grace@shoal.test"),
            FixtureUser(login: "heidi", password: PasswordHash.make("heidi-pw", scheme: .ssha512), mail: "heidi@shoal.test"),
            FixtureUser(login: "ivan", password: try SlapdFixture.slappasswd("ivan-pw", scheme: "{CRYPT}"),
                        mail: "ivan@shoal.test"),
            FixtureUser(login: "mallory", password: try SlapdFixture.slappasswd("mallory-pw", scheme: "{SSHA256}"),
                        mail: "mallory@shoal.test", disabled: true),
        ]
    }

    /// {SSHA256} computed by Python's hashlib: base64(sha256(password + salt) + salt).
    static func pythonSSHA256(_ password: String) throws -> String {
        let script = "import base64,hashlib,os,sys; s=os.urandom(8); p=sys.argv[1].encode(); "
            + "print('{SSHA256}'+base64.b64encode(hashlib.sha256(p+s).digest()+s).decode())"
        return try SlapdFixture.run("/usr/bin/python3", ["-c", script, password])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SHA-512 crypt(3) made by `openssl passwd -6`.
    static func opensslCrypt(_ password: String) throws -> String {
        try SlapdFixture.run("/usr/bin/openssl", ["passwd", "-6", password]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func startFixture(tls: Bool = false) throws -> SlapdFixture {
        try SlapdFixture.started(users: users(), tls: tls)
    }

    /// A directory on the fixture, bound as the reader unless told otherwise.
    static func directory(_ fixture: SlapdFixture, mode: Mode = .bind, uris: [String]? = nil,
                          bindDN: String? = nil, bindPassword: String? = nil, cacheTTL: Double = 0,
                          poolSize: Int = 4, configure: (inout LDAPConfiguration) -> Void = { _ in }) -> LDAPDirectory {
        var c = LDAPConfiguration(uris: uris ?? [fixture.uri], base: fixture.peopleDN)
        c.bindDN = bindDN ?? fixture.readerDN
        c.bindPassword = bindPassword ?? fixture.readerPassword
        c.authMode = mode
        c.positiveCacheTTL = cacheTTL
        c.negativeCacheTTL = cacheTTL
        c.poolSize = poolSize
        c.connectTimeout = 2
        c.operationTimeout = 3
        configure(&c)
        return LDAPDirectory(configuration: c)
    }

    // MARK: Thread pool

    @Test func blockingCallsRunOnAThreadPoolOfItsOwnThatStopsWithTheDirectory() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, poolSize: 3)
        // One thread per pooled connection, and one for user binds and closes.
        #expect(directory.threadPool.numberOfThreads == 4)
        #expect(try await directory.user(login: "alice")?.login == "alice")
        #expect(try await directory.authenticate(login: "bob", password: "bob-pw").user?.login == "bob")
        await directory.shutdown()
        do {
            _ = try await directory.user(login: "carol")
            Issue.record("a lookup after shutdown succeeded")
        } catch {
            #expect(error.kind == .unavailable)
        }
    }

    // MARK: Authentication

    @Test(arguments: [Mode.bind, .verify])
    func authenticationSucceedsAndFails(mode: Mode) async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, mode: mode)
        let result = try await directory.authenticate(login: "alice", password: "alice-pw")
        #expect(result.user?.login == "alice")
        #expect(result.user?.addresses.first == "alice@shoal.test")
        #expect(try await directory.authenticate(login: "alice", password: "alice-pw!") == .wrongPassword)
        #expect(try await directory.authenticate(login: "alice", password: "bob-pw") == .wrongPassword)
        #expect(try await directory.authenticate(login: "nobody", password: "alice-pw") == .unknownUser)
        #expect(try await directory.authenticate(login: "ALICE", password: "alice-pw").user?.login == "alice")
    }

    @Test(arguments: [Mode.bind, .verify])
    func everyPasswordScheme(mode: Mode) async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, mode: mode)
        for login in Self.bindableLogins + Self.verifyOnlyLogins {
            let password = try #require(Self.passwords[login])
            let right = try await directory.authenticate(login: login, password: password)
            if mode == .verify || Self.bindableLogins.contains(login) {
                #expect(right.user?.login == login, "\(login) in \(mode) mode")
            } else {
                #expect(right == .wrongPassword, "slapd does not check {PLAIN}/{CLEARTEXT} values: \(login)")
            }
            let wrong = try await directory.authenticate(login: login, password: password + "x")
            #expect(wrong == .wrongPassword, "\(login) with a wrong password in \(mode) mode")
        }
    }

    @Test func emptyPasswordIsRejectedWithoutAskingTheServer() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture)
        #expect(try await directory.authenticate(login: "alice", password: "") == .wrongPassword)
        fixture.stop()
        #expect(try await directory.authenticate(login: "alice", password: "") == .wrongPassword)
        await #expect(throws: DirectoryError.self) { try await directory.authenticate(login: "alice", password: "alice-pw") }
    }

    @Test(arguments: [Mode.bind, .verify])
    func disabledAccounts(mode: Mode) async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, mode: mode)
        let mallory = try #require(try await directory.user(login: "mallory"))
        #expect(mallory.enabled == false)
        #expect(try await directory.user(address: "MALLORY@shoal.test")?.enabled == false)
        #expect(try await directory.authenticate(login: "mallory", password: "mallory-pw") == .disabled)
        #expect(try await directory.authenticate(login: "mallory", password: "wrong") == .wrongPassword)
        #expect(try await directory.user(login: "alice")?.enabled == true)
    }

    // MARK: Lookups

    @Test func lookupsByLoginPrimaryAddressAndAlias() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture)
        let alice = try #require(try await directory.user(login: "alice"))
        #expect(alice == DirectoryUser(login: "alice",
                                       addresses: ["alice@shoal.test", "A.Liddell@shoal.test", "alice@wonder.test"],
                                       mailbox: "/srv/mail/alice", quotaBytes: 1_000_000, quotaMessages: 500))
        #expect(try await directory.user(login: "Alice") == alice)
        #expect(try await directory.user(address: "alice@shoal.test") == alice)
        #expect(try await directory.user(address: "ALICE@Shoal.Test") == alice)
        #expect(try await directory.user(address: "a.liddell@SHOAL.test") == alice)
        #expect(try await directory.user(address: "alice@wonder.test") == alice)
        let bob = try #require(try await directory.user(address: "bob@shoal.test"))
        #expect(bob.login == "bob" && bob.mailbox == "/var/mail/bob" && bob.quotaBytes == nil && bob.enabled)
        #expect(try await directory.user(login: "nobody") == nil)
        #expect(try await directory.user(address: "nobody@shoal.test") == nil)
        #expect(try await directory.user(address: "alice") == nil)
        #expect(try await directory.user(login: "") == nil)
    }

    @Test(arguments: [Mode.bind, .verify])
    func injectionStringsFindNobody(mode: Mode) async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, mode: mode)
        let attacks = ["*", "*)(uid=*", "admin)(|(uid=*", "alice)(|(uid=*", "*)(|(objectClass=*", "al*", "\\2a",
                       "alice\\", "\\", "alice\u{0}", "\u{0}*", "alice)", "(uid=alice)", "*@shoal.test"]
        for attack in attacks {
            #expect(try await directory.user(login: attack) == nil, "login \(attack.debugDescription)")
            #expect(try await directory.user(address: attack) == nil, "address \(attack.debugDescription)")
            for password in ["alice-pw", "*"] {
                let result = try await directory.authenticate(login: attack, password: password)
                #expect(result == .unknownUser, "authenticate \(attack.debugDescription)")
            }
        }
        #expect(try await directory.authenticate(login: "alice", password: "*") == .wrongPassword)
        #expect(try await directory.authenticate(login: "erin", password: "*") == .wrongPassword)
    }

    // MARK: Cache

    @Test func cachedAnswersSurviveTheServerGoingAway() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, cacheTTL: 60)
        #expect(try await directory.user(login: "alice")?.login == "alice")
        #expect(try await directory.user(address: "A.LIDDELL@shoal.test")?.login == "alice")
        #expect(try await directory.user(login: "ghost") == nil)
        #expect(try await directory.user(address: "ghost@shoal.test") == nil)
        let hitsBefore = await directory.loginCache.hits + directory.addressCache.hits
        fixture.stop()
        #expect(try await directory.user(login: "ALICE")?.login == "alice")
        #expect(try await directory.user(address: "a.liddell@shoal.test")?.login == "alice")
        #expect(try await directory.user(login: "ghost") == nil)
        #expect(try await directory.user(address: "ghost@shoal.test") == nil)
        #expect(await directory.loginCache.hits + directory.addressCache.hits == hitsBefore + 4)
        // Not cached: must ask the server, which is gone.
        let error = await #expect(throws: DirectoryError.self) { try await directory.user(login: "bob") }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.contains(fixture.uri) == true)
    }

    @Test func zeroTTLAlwaysAsksTheServer() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, cacheTTL: 0)
        #expect(try await directory.user(login: "alice") != nil)
        fixture.stop()
        await #expect(throws: DirectoryError.self) { try await directory.user(login: "alice") }
    }

    // MARK: Failure and recovery

    @Test func poolRecoversWhenSlapdRestarts() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, poolSize: 3)
        try await Self.concurrentLookups(directory, count: 12)
        #expect(await directory.pool.openCount == 3)

        try fixture.restart()
        #expect(try await directory.user(login: "alice")?.login == "alice")
        try await Self.concurrentLookups(directory, count: 12)
        #expect(try await directory.authenticate(login: "carol", password: "carol-pw").user != nil)

        fixture.kill()
        let error = await #expect(throws: DirectoryError.self) { try await directory.user(login: "alice") }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.contains(fixture.uri) == true)
        try fixture.restart()
        #expect(try await directory.user(login: "alice")?.login == "alice")
        #expect(try await directory.authenticate(login: "alice", password: "alice-pw").user != nil)
        #expect(await directory.pool.openCount <= 3)
    }

    @Test func poolIsBoundedAndServesManyConcurrentCallers() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, poolSize: 2)
        try await Self.concurrentLookups(directory, count: 40)
        #expect(await directory.pool.openCount == 2)
    }

    static func concurrentLookups(_ directory: LDAPDirectory, count: Int) async throws {
        let logins = ["alice", "bob", "carol", "dave"]
        try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<count {
                group.addTask { try await directory.user(login: logins[i % logins.count])?.login }
            }
            var found = 0
            for try await login in group where login != nil { found += 1 }
            #expect(found == count)
        }
    }

    @Test func failsOverFromADeadURIToTheNext() async throws {
        let fixture = try Self.startFixture()
        let dead = "ldap://127.0.0.1:\(try TestPorts.free())"
        for mode in [Mode.bind, .verify] {
            let directory = Self.directory(fixture, mode: mode, uris: [dead, fixture.uri])
            #expect(try await directory.user(login: "alice")?.login == "alice")
            #expect(try await directory.authenticate(login: "bob", password: "bob-pw").user?.login == "bob")
            #expect(try await directory.authenticate(login: "bob", password: "nope") == .wrongPassword)
        }
        let dead2 = "ldap://127.0.0.1:\(try TestPorts.free())"
        let nowhere = Self.directory(fixture, uris: [dead, dead2])
        let error = await #expect(throws: DirectoryError.self) { try await nowhere.user(login: "alice") }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.contains(dead) == true && error?.description.contains(dead2) == true)
    }

    @Test func wrongServicePasswordIsAServerError() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, bindPassword: "not-the-password")
        let error = await #expect(throws: DirectoryError.self) { try await directory.user(login: "alice") }
        #expect(error?.kind == .server)
        #expect(error?.description.contains("Invalid credentials") == true)
        #expect(error?.description.contains(fixture.readerDN) == true)
    }

    // MARK: TLS

    @Test func startTLSAndLDAPSVerifyWithTheFixtureCA() async throws {
        let fixture = try Self.startFixture(tls: true)
        let caFile = try #require(fixture.caFile)
        let ldaps = try #require(fixture.ldapsURI)
        let startTLS = Self.directory(fixture) { $0.tls = .startTLS; $0.caFile = caFile }
        #expect(try await startTLS.user(login: "alice")?.login == "alice")
        #expect(try await startTLS.authenticate(login: "alice", password: "alice-pw").user != nil)
        let overLDAPS = Self.directory(fixture, uris: [ldaps]) { $0.caFile = caFile }
        #expect(try await overLDAPS.user(address: "bob@shoal.test")?.login == "bob")
        #expect(try await overLDAPS.authenticate(login: "bob", password: "bob-pw").user != nil)
        #expect(try await overLDAPS.authenticate(login: "bob", password: "alice-pw") == .wrongPassword)
    }

    @Test func tlsFailsClearlyWithAWrongOrMissingCA() async throws {
        let fixture = try Self.startFixture(tls: true)
        let ldaps = try #require(fixture.ldapsURI)
        let unrelated = try fixture.makeUnrelatedCA()
        let cases: [(String, [String], LDAPConfiguration.TLSMode, String?)] = [
            ("StartTLS, unrelated CA", [fixture.uri], .startTLS, unrelated),
            ("ldaps, unrelated CA", [ldaps], .none, unrelated),
            ("StartTLS, system CAs", [fixture.uri], .startTLS, nil),
            ("ldaps, system CAs", [ldaps], .none, nil),
        ]
        for (name, uris, tls, caFile) in cases {
            let directory = Self.directory(fixture, uris: uris) { $0.tls = tls; $0.caFile = caFile }
            let error = await #expect(throws: DirectoryError.self, "\(name)") { try await directory.user(login: "alice") }
            #expect(error?.kind == .unavailable, "\(name)")
            let text = error?.description ?? ""
            #expect(text.contains(uris[0]) && text.contains("TLS"), "\(name): \(text)")
        }
        let missing = Self.directory(fixture) { $0.tls = .startTLS; $0.caFile = "/nonexistent/shoal-ca.pem" }
        let error = await #expect(throws: DirectoryError.self) { try await missing.user(login: "alice") }
        #expect(error?.description.contains("/nonexistent/shoal-ca.pem") == true, "\(String(describing: error))")
        // Same wrong CA, verification off: the failures above were the certificate check.
        let unchecked = Self.directory(fixture, uris: [ldaps]) { $0.caFile = unrelated; $0.verifyCertificate = false }
        #expect(try await unchecked.user(login: "alice")?.login == "alice")
    }

    // MARK: Managed operations

    @Test func addSetPasswordDeleteAndListRoundTrip() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, bindDN: fixture.adminDN, bindPassword: fixture.adminPassword, cacheTTL: 60)
        let zoe = DirectoryUser(login: "zoe", addresses: ["zoe@shoal.test", "Z@shoal.test"], mailbox: "/srv/mail/zoe",
                                quotaBytes: 5_000, quotaMessages: 10)
        #expect(try await directory.user(login: "zoe") == nil)  // cached negative answer, forgotten by add
        try await directory.add(zoe, password: "zoe-pw")
        #expect(try await directory.user(login: "zoe") == zoe)
        #expect(try await directory.user(address: "z@SHOAL.test") == zoe)
        #expect(try await directory.authenticate(login: "zoe", password: "zoe-pw") == .success(zoe))
        let stored = try Self.storedPassword(fixture, login: "zoe")
        #expect(stored.hasPrefix("{SSHA512}"), "\(stored)")
        #expect(PasswordHash.verify("zoe-pw", against: stored))

        let duplicate = await #expect(throws: DirectoryError.self) { try await directory.add(zoe, password: "x") }
        #expect(duplicate?.kind == .conflict)
        let taken = DirectoryUser(login: "zed", addresses: ["ALICE@shoal.test"])
        let addressTaken = await #expect(throws: DirectoryError.self) { try await directory.add(taken, password: "x") }
        #expect(addressTaken?.kind == .conflict)
        let badLogin = DirectoryUser(login: "bad\nlogin")
        let invalid = await #expect(throws: DirectoryError.self) { try await directory.add(badLogin, password: "x") }
        #expect(invalid?.kind == .invalidRequest)

        #expect(try await directory.setPassword(login: "zoe", password: "zoe-new") == true)
        #expect(try await directory.authenticate(login: "zoe", password: "zoe-pw") == .wrongPassword)
        #expect(try await directory.authenticate(login: "zoe", password: "zoe-new").user == zoe)
        #expect(try await directory.setPassword(login: "nobody", password: "x") == false)

        let yuri = DirectoryUser(login: "yuri", addresses: ["yuri@shoal.test"], enabled: false)
        try await directory.add(yuri, password: "yuri-pw")
        let storedYuri = try #require(try await directory.user(login: "yuri"))
        #expect(storedYuri.enabled == false && storedYuri.mailbox == "/var/mail/yuri")
        #expect(try await directory.authenticate(login: "yuri", password: "yuri-pw") == .disabled)

        let all = try await directory.allUsers().map(\.login)
        #expect(all == ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "mallory",
                        "yuri", "zoe"])

        #expect(try await directory.delete(login: "zoe") == true)
        #expect(try await directory.delete(login: "zoe") == false)
        #expect(try await directory.user(login: "zoe") == nil)
        #expect(try await directory.user(address: "zoe@shoal.test") == nil)
        #expect(try await directory.authenticate(login: "zoe", password: "zoe-new") == .unknownUser)
        #expect(try await directory.allUsers().contains { $0.login == "zoe" } == false)
    }

    @Test func updateChangesAliasesQuotasAndEnabledInOneModify() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture, bindDN: fixture.adminDN, bindPassword: fixture.adminPassword, cacheTTL: 60)
        // bob has no shoalMailAccount class: aliases and a quota add it in the same request.
        #expect(try await directory.user(login: "bob")?.quotaBytes == nil)  // cached, forgotten by the update
        let bob = try #require(try await directory.update(login: "bob") { user in
            user.addresses += ["robert@shoal.test", "bobby@shoal.test"]
            user.quotaBytes = 2_000_000
            user.enabled = false
        })
        #expect(bob.addresses == ["bob@shoal.test", "robert@shoal.test", "bobby@shoal.test"])
        #expect(bob.quotaBytes == 2_000_000 && bob.quotaMessages == nil && bob.enabled == false)
        #expect(try await directory.user(login: "bob") == bob)
        #expect(try await directory.user(address: "ROBERT@shoal.test")?.login == "bob")
        #expect(try await directory.authenticate(login: "bob", password: "bob-pw") == .disabled)
        let ldif = try Self.entry(fixture, login: "bob")
        #expect(ldif.contains("objectClass: shoalMailAccount") && ldif.contains("shadowExpire: 1"), "\(ldif)")

        // Enabling removes shadowExpire; removing aliases and the quota removes their attributes.
        let again = try #require(try await directory.update(login: "bob") { user in
            user.addresses = ["bob@shoal.test"]
            user.quotaBytes = nil
            user.enabled = true
        })
        #expect(again == DirectoryUser(login: "bob", addresses: ["bob@shoal.test"], mailbox: again.mailbox))
        #expect(try await directory.authenticate(login: "bob", password: "bob-pw").user == again)
        #expect(try await directory.user(address: "robert@shoal.test") == nil)
        let cleared = try Self.entry(fixture, login: "bob")
        for attribute in ["shadowExpire", "mailAlternateAddress", "mailQuotaSize"] {
            #expect(!cleared.contains(attribute + ":"), "\(attribute) left: \(cleared)")
        }

        // Another user's address is a conflict; a changed login or a control character is refused; nothing written.
        let taken = await #expect(throws: DirectoryError.self) { _ = try await directory.update(login: "bob") { $0.addresses.append("A.Liddell@shoal.test") } }
        #expect(taken?.kind == .conflict)
        let renamed = await #expect(throws: DirectoryError.self) { _ = try await directory.update(login: "bob") { $0.login = "robert" } }
        #expect(renamed?.kind == .invalidRequest)
        let control = await #expect(throws: DirectoryError.self) { _ = try await directory.update(login: "bob") { $0.addresses = ["b\r\n@shoal.test"] } }
        #expect(control?.kind == .invalidRequest)
        #expect(try await directory.user(login: "bob") == again)
        #expect(try await directory.update(login: "nobody") { $0.enabled = false } == nil)

        // The read-only service account may not change anything.
        let reader = Self.directory(fixture)
        let refused = await #expect(throws: DirectoryError.self) { _ = try await reader.update(login: "carol") { $0.enabled = false } }
        #expect(refused?.kind == .server)
        #expect(try await reader.authenticate(login: "carol", password: "carol-pw").user != nil)
    }

    @Test func modificationsReplaceOnlyWhatChanged() {
        let directory = LDAPDirectory(configuration: LDAPConfiguration(uris: ["ldap://127.0.200.9:1"], base: "dc=x"))
        let before = DirectoryUser(login: "u", addresses: ["u@x.test"])
        #expect(directory.modifications(from: before, to: before, objectClasses: []).isEmpty)
        var after = before
        after.quotaMessages = 7
        #expect(directory.modifications(from: before, to: after, objectClasses: ["posixAccount"]) == [
            .init(operation: .add, attribute: "objectClass", values: ["shoalMailAccount"]),
            .init(operation: .replace, attribute: "mailQuotaCount", values: ["7"]),
        ])
        #expect(directory.modifications(from: before, to: after, objectClasses: ["SHOALMAILACCOUNT"]) == [
            .init(operation: .replace, attribute: "mailQuotaCount", values: ["7"]),
        ])
        after = before
        after.enabled = false
        after.mailbox = nil
        after.addresses = []
        #expect(directory.modifications(from: before, to: after, objectClasses: []) == [
            .init(operation: .replace, attribute: "mail", values: []),
            .init(operation: .replace, attribute: "mailAlternateAddress", values: []),
            .init(operation: .replace, attribute: "shadowExpire", values: ["1"]),
        ])
    }

    /// The entry as the admin reads it with ldapsearch (LDIF, unwrapped).
    static func entry(_ fixture: SlapdFixture, login: String) throws -> String {
        try SlapdFixture.run("/usr/bin/ldapsearch", [
            "-x", "-LLL", "-o", "ldif-wrap=no", "-H", fixture.uri, "-D", fixture.adminDN, "-w", fixture.adminPassword,
            "-b", fixture.userDN(login), "-s", "base", "(objectClass=*)", "*",
        ])
    }

    @Test func readOnlyServiceAccountCannotAdd() async throws {
        let fixture = try Self.startFixture()
        let directory = Self.directory(fixture)
        let error = await #expect(throws: DirectoryError.self) {
            try await directory.add(DirectoryUser(login: "zoe", addresses: ["zoe@shoal.test"]), password: "zoe-pw")
        }
        #expect(error?.kind == .server)
        #expect(error?.description.contains("Insufficient access") == true, "\(String(describing: error))")
        #expect(try await directory.user(login: "zoe") == nil)
    }

    /// The stored userPassword as the admin reads it with ldapsearch (LDIF, maybe base64).
    static func storedPassword(_ fixture: SlapdFixture, login: String) throws -> String {
        let output = try SlapdFixture.run("/usr/bin/ldapsearch", [
            "-x", "-LLL", "-o", "ldif-wrap=no", "-H", fixture.uri, "-D", fixture.adminDN, "-w", fixture.adminPassword,
            "-b", fixture.userDN(login), "-s", "base", "(objectClass=*)", "userPassword",
        ])
        for line in output.split(separator: "\n") {
            if line.hasPrefix("userPassword:: "), let data = Data(base64Encoded: String(line.dropFirst(15))) {
                return String(decoding: data, as: UTF8.self)
            }
            if line.hasPrefix("userPassword: ") { return String(line.dropFirst(14)) }
        }
        return ""
    }

    // MARK: Fixture

    @Test func missingSlapdNamesTheDebianPackages() throws {
        let fixture = SlapdFixture(slapdPath: "/nonexistent/sbin/slapd")
        let error = #expect(throws: SlapdFixtureError.self) { try fixture.start(users: []) }
        #expect(error?.description.contains("slapd ldap-utils") == true)
    }
}
