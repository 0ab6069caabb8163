import Appliance
import Foundation
import ShoalCore
import Testing

/// The spec format: defaults, the shipped appliances, and errors that name the file, the line and the field.
@Suite struct ApplianceSpecTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func parse(_ text: String, file: String = "test.yaml") throws -> ApplianceSpec {
        try ApplianceSpec.parse(text, file: file)
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func theSmallestSpecIsOnePool() throws {
        let spec = try parse("pools: {mail: 2}\n", file: "/tmp/tiny.yaml")
        #expect(spec.name == "tiny")
        #expect(spec.domain == "shoal.test")
        #expect(spec.network.description == "127.0.42.0/24")
        #expect(spec.directory.kind == .sqlite)
        #expect(spec.pools == [PoolSpec(name: "mail", role: .mail, replicas: 2)])
        #expect(spec.director.services.map(\.name) == ["smtp", "submission", "imap", "pop3"])
        #expect(spec.director.services.map(\.port) == [2525, 1587, 1143, 1110])
        #expect(spec.director.services.allSatisfy { $0.pool == "mail" && $0.scheduler == "rr" && $0.persistence == nil })
        #expect(spec.director.adminPort == 9900)
    }

    @Test func usersGetAnAddressInTheDomain() throws {
        let spec = try parse("""
            domain: example.org
            directory:
              kind: ldap
              users:
                - {login: alice, password: a}
                - {login: Bob, password: b, addresses: [Bob@Example.org, postmaster@example.org]}
            pools: {mail: 1}
            """)
        #expect(spec.directory.kind == .ldap)
        #expect(spec.directory.users == [
            ApplianceUser(login: "alice", password: "a", addresses: ["alice@example.org"]),
            ApplianceUser(login: "Bob", password: "b", addresses: ["bob@example.org", "postmaster@example.org"]),
        ])
    }

    @Test func poolsInLongFormAndServicesWithSettings() throws {
        let spec = try parse("""
            name: shop
            network: 127.0.191.0/24
            docroot: /srv/www
            pools:
              front: {role: web, replicas: 4}
              back: {role: web}
            director:
              admin_port: 0
              check_interval: 0.5
              services:
                - {protocol: http, port: 80, pool: back, scheduler: wlc, persistence: 300}
                - {name: front, protocol: http, port: 0, pool: front}
            """)
        #expect(spec.name == "shop")
        #expect(spec.network.address(1) == IPAddress("127.0.191.1"))
        #expect(spec.docroot == "/srv/www")
        #expect(spec.pools == [PoolSpec(name: "front", role: .web, replicas: 4), PoolSpec(name: "back", role: .web, replicas: 1)])
        #expect(spec.director.adminPort == 0)
        #expect(spec.director.checkInterval == 0.5)
        #expect(spec.director.services == [
            VirtualServiceSpec(name: "http", proto: .http, port: 80, pool: "back", scheduler: "wlc", persistence: 300),
            VirtualServiceSpec(name: "front", proto: .http, port: 0, pool: "front"),
        ])
    }

    @Test func twoPoolsOfOneRoleGetTheirOwnDefaultServices() throws {
        let spec = try parse("pools:\n  blue: {role: web, replicas: 1}\n  green: {role: web, replicas: 1}\n")
        #expect(spec.director.services.map(\.name) == ["blue-http", "green-http"])
        #expect(spec.director.services.map(\.port) == [8080, 8081])
    }

    @Test func cacheOriginIsANodeOrAnEndpoint() throws {
        #expect(try parse("pools: {cache: 3}\n").origin == .node)
        #expect(try parse("origin: 127.0.0.1:8000\npools: {cache: 3}\n").origin == .external(Endpoint("127.0.0.1:8000")!))
        #expect(try parse("pools: {cache: 3}\n").director.services.map(\.proto) == [.cache])
    }

    @Test func theShippedAppliancesParse() throws {
        let mail = try ApplianceSpec.load(path: Self.repository + "/Appliances/mail-cluster.yaml")
        #expect(mail.name == "mail-cluster")
        #expect(mail.directory.kind == .ldap)
        #expect(mail.directory.users.map(\.login) == ["alice", "bob"])
        #expect(mail.pools == [PoolSpec(name: "mail", role: .mail, replicas: 3)])
        #expect(mail.director.services.map(\.proto) == [.smtp, .submission, .imap, .pop3, .webmail])
        #expect(mail.directory.users.map(\.admin) == [nil, true])
        let web = try ApplianceSpec.load(path: Self.repository + "/Appliances/web-farm.yaml")
        #expect(web.pools == [PoolSpec(name: "web", role: .web, replicas: 3)])
        let cache = try ApplianceSpec.load(path: Self.repository + "/Appliances/cache-farm.yaml")
        #expect(cache.pools == [PoolSpec(name: "cache", role: .cache, replicas: 3)])
        #expect(cache.origin == .node)
        let all = try ApplianceSpec.load(path: Self.repository + "/Appliances/three-tier.yaml")
        #expect(all.pools.map(\.role) == [.mail, .web, .cache])
        #expect(all.director.services.map(\.name) == ["smtp", "submission", "imap", "pop3", "http", "cache"])
        // Each shipped spec has its own network, so two can run at once.
        #expect(Set([mail, web, cache, all].map(\.network)).count == 4)
        // The smallest useful spec is about ten lines.
        let lines = try String(contentsOfFile: Self.repository + "/Appliances/mail-cluster.yaml", encoding: .utf8)
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        #expect(lines.count <= 12)
    }

    @Test(arguments: [
        ("pools: {mail: 1}\nnmae: x\n", 2, "nmae", "unknown field"),
        ("name: Mail\npools: {mail: 1}\n", 1, "name", "not an appliance name"),
        ("network: 10.0.0.0/16\npools: {mail: 1}\n", 1, "network", "not an IPv4 /24"),
        ("network: 127.0.42.7/24\npools: {mail: 1}\n", 1, "network", "ends in .0"),
        ("domain: nodots\npools: {mail: 1}\n", 1, "domain", "not a domain name"),
        ("pools: {}\n", 1, "pools", "at least one pool"),
        ("pools:\n  mail: 40\n", 2, "pools.mail", "out of range 0-39"),
        ("pools:\n  mail: lots\n", 2, "pools.mail", "not a whole number"),
        ("pools:\n  db: 2\n", 2, "pools.db", "needs a role"),
        ("pools:\n  db: {replicas: 2}\n", 2, "pools.db", "'role' is missing"),
        ("pools:\n  db: {role: database}\n", 2, "pools.db.role", "not one of: mail, web, cache"),
        ("pools:\n  mail: {replicas: 2, size: 3}\n", 2, "pools.mail.size", "unknown field"),
        ("pools: {mail: 1}\ndirector:\n  services: [http]\n", 3, "director.services[0]", "no pool of role web"),
        ("pools: {mail: 1}\ndirector:\n  services: [ftp]\n", 3, "director.services[0]", "not one of"),
        ("pools: {mail: 1}\ndirector:\n  services:\n    - {protocol: imap, pool: web}\n", 4, "director.services[0].pool", "no pool named 'web'"),
        ("pools: {mail: 1, web: 1}\ndirector:\n  services:\n    - {protocol: imap, pool: web}\n", 4, "director.services[0].pool", "has role web"),
        ("pools: {mail: 1}\ndirector:\n  services:\n    - {protocol: imap, scheduler: fast}\n", 4, "director.services[0].scheduler", "not one of"),
        ("pools: {mail: 1}\ndirector:\n  services:\n    - {protocol: imap, port: 70000}\n", 4, "director.services[0].port", "out of range"),
        ("pools: {mail: 1}\ndirector:\n  services: [imap, imap]\n", 3, "director.services[1]", "two services are named 'imap'"),
        ("pools: {mail: 1}\ndirector:\n  services:\n    - imap\n    - {name: other, protocol: pop3, port: 1143}\n", 5, "director.services[1]", "two services use port 1143 (the first on line 4)"),
        ("pools: {mail: 1}\ndirector:\n  services: []\n", 3, "director.services", "at least one service"),
        ("pools: {mail: 1}\ndirector: {check_interval: 0}\n", 2, "director.check_interval", "out of range"),
        ("pools: {mail: 1}\ndirectory: {kind: nis}\n", 2, "directory.kind", "not one of: ldap, sqlite"),
        ("pools: {mail: 1}\ndirectory:\n  users:\n    - {login: 'a b', password: x}\n", 4, "directory.users[0].login", "not a login"),
        ("pools: {mail: 1}\ndirectory:\n  users:\n    - {login: a}\n", 4, "directory.users[0].password", "required field is missing"),
        ("pools: {mail: 1}\ndirectory:\n  users:\n    - {login: a, password: x}\n    - {login: A, password: y}\n", 5, "directory.users[1].login", "listed twice (first on line 4)"),
        ("pools: {mail: 1}\ndirectory:\n  users:\n    - {login: a, password: x, addresses: [nobody]}\n", 4, "directory.users[0].addresses[0]", "not a mail address"),
        ("pools: {mail: 1}\ndirectory:\n  users:\n    - {login: a, password: x}\n    - {login: b, password: y, addresses: [a@shoal.test]}\n", 5, "directory.users[1].addresses[0]", "is taken (line 4)"),
        ("pools: {mail: 1}\nstore: relative/path\n", 2, "store", "not an absolute path"),
        ("pools: {cache: 1}\norigin: somewhere\n", 2, "origin", "not an address:port"),
        ("pools: {mail: 1}\npools: {web: 1}\n", 2, "pools", "appears twice"),
    ])
    func errorsNameFileLineAndField(text: String, line: Int, field: String, message: String) throws {
        let error = try #require(self.error(text), "accepted: \(text)")
        #expect(error.file == "test.yaml")
        #expect(error.line == line, "\(error)")
        #expect(error.field == field, "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func aMissingFileIsNamed() {
        #expect(throws: ConfigError.self) { try ApplianceSpec.load(path: "/nonexistent/spec.yaml") }
        do {
            _ = try ApplianceSpec.load(path: "/nonexistent/spec.yaml")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/spec.yaml:"))
        }
    }
}
