import Appliance
import DirectorNode
import Foundation
import MailNode
import ShoalCore
import Testing
import WebServer

/// The rendered node configurations are the files the nodes' own parsers accept, with the plan's addresses.
@Suite struct NodeConfigRendererTests {
    func plan(_ text: String, state: String = "/state/x") throws -> (ApplianceSpec, AppliancePlan) {
        let spec = try ApplianceSpec.parse(text, file: "spec.yaml")
        return (spec, try AppliancePlan.make(spec, hosts: .loopback, stateDirectory: state))
    }

    @Test func theDirectorServesEveryVIPOverItsPool() throws {
        let (_, plan) = try plan("network: 127.0.190.0/24\ndirectory: {kind: ldap}\npools: {mail: 3}\ndirector:\n  services:\n    - smtp\n    - {protocol: imap, port: 143, scheduler: wlc, persistence: 60}\n")
        let text = try #require(try NodeConfigRenderer(plan: plan, checkInterval: 0.5).config(for: plan.director))
        let configuration = try DirectorConfiguration.parse(ConfigDocument.parse(text, file: "director.yaml"))
        #expect(configuration.admin?.listen == Endpoint("127.0.190.1:9900"))
        #expect(configuration.services.map(\.listen) == [Endpoint("127.0.190.1:2525"), Endpoint("127.0.190.1:143")])
        #expect(configuration.services.map(\.config.scheduler.rawValue) == ["rr", "wlc"])
        #expect(configuration.services[1].config.persistence?.timeout == 60)
        #expect(configuration.services[0].servers.map(\.config.endpoint) == ["11", "12", "13"].map { Endpoint("127.0.190.\($0):2525")! })
        #expect(configuration.services[1].servers.map(\.config.endpoint) == ["11", "12", "13"].map { Endpoint("127.0.190.\($0):1143")! })
        #expect(configuration.services.allSatisfy { $0.alpha })
        #expect(configuration.services[0].check?.kind == .smtp(heloName: "director.shoal.test"))
        #expect(configuration.services[1].check?.kind == .imap)
        #expect(configuration.services[1].check?.delayLoop == 0.5)
    }

    @Test func webmailIsAnHTTPSVirtualServiceWithCookiePersistenceToHTTPSNodes() throws {
        let (_, plan) = try plan("""
            network: 127.0.190.0/24
            directory: {kind: ldap, users: [{login: root, password: r, admin: true}, {login: u, password: p}]}
            pools: {mail: 2}
            director: {services: [imap, webmail]}
            """)
        let layout = ApplianceLayout(root: "/state/x")
        let director = try #require(try NodeConfigRenderer(plan: plan).config(for: plan.director))
        #expect(director.contains("protocol: http") && director.contains("cookie: SHOALSRV"), "\(director)")
        #expect(director.contains("certificate: \(layout.tlsCertificate)") && director.contains("ca_file: \(layout.tlsCertificate)"), "\(director)")
        #expect(director.contains("address: 127.0.190.11:8443") && director.contains("address: 127.0.190.12:8443"), "\(director)")
        let renderer = NodeConfigRenderer(plan: plan)
        let mail1 = try #require(plan.node("mail-1"))
        let node = try #require(try renderer.config(for: mail1))
        let configuration = try MailNodeConfiguration.parse(ConfigDocument.parse(node, file: "mail.yaml"))
        #expect(configuration.https == Endpoint("127.0.190.11:8443") && configuration.http == nil)
        #expect(configuration.webmail.admins == ["root"] && configuration.webmailSecretFile == layout.webmailSecret)
        #expect(configuration.ldap.bindDN == "cn=admin,dc=shoal,dc=test", "the admin site writes users")
        #expect(plan.webmailURL == "https://127.0.190.1:8443/")
        #expect(plan.adminSiteURLs == ["https://127.0.190.11:8443/admin", "https://127.0.190.12:8443/admin"])
        // Without webmail in the services the nodes have no webmail port and read the directory as the reader.
        let (_, plain) = try self.plan("network: 127.0.190.0/24\ndirectory: {kind: ldap}\npools: {mail: 1}\n")
        #expect(plain.node("mail-1")?.port("webmail") == nil && plain.webmailURL == nil)
        let plainNode = try #require(plain.node("mail-1"))
        let text = try #require(try NodeConfigRenderer(plan: plain).config(for: plainNode))
        #expect(try MailNodeConfiguration.parse(ConfigDocument.parse(text, file: "m.yaml")).ldap.bindDN == "cn=reader,dc=shoal,dc=test")
        // Manifests leave webmail out.
        let rendered = plan.withoutWebmail()
        #expect(rendered.services.map(\.name) == ["imap"] && rendered.adminSiteURLs.isEmpty && rendered.admins.isEmpty)
    }

    @Test func mailNodesShareTheStoreAndTheDirectory() throws {
        let (_, plan) = try plan("network: 127.0.190.0/24\ndirectory: {kind: ldap}\npools: {mail: 2}\n")
        let renderer = NodeConfigRenderer(plan: plan)
        let texts = try plan.members(of: "mail").map { try #require(try renderer.config(for: $0)) }
        let configurations = try texts.map { try MailNodeConfiguration.parse(ConfigDocument.parse($0, file: "mail.yaml")) }
        #expect(configurations.map(\.hostname) == ["mail-1.shoal.test", "mail-2.shoal.test"])
        #expect(configurations.map(\.storeRoot) == ["/state/x/shared/mail", "/state/x/shared/mail"])
        #expect(configurations.map(\.directory.description) == ["ldap://127.0.190.2:3389", "ldap://127.0.190.2:3389"])
        #expect(configurations[0].ldap.base == "ou=people,dc=shoal,dc=test")
        #expect(configurations[0].ldap.bindDN == "cn=reader,dc=shoal,dc=test")
        #expect(configurations[0].ldap.bindPasswordFile == "/state/x/shared/ldap/reader.secret")
        #expect(configurations[1].imap == Endpoint("127.0.190.12:1143"))
        #expect(configurations[1].smtp == Endpoint("127.0.190.12:2525"))
        #expect(configurations[1].lmtp == Endpoint("127.0.190.12:2424"))
        #expect(configurations[1].submission == Endpoint("127.0.190.12:1587"))
        #expect(configurations[1].pop3 == Endpoint("127.0.190.12:1110"))
        #expect(configurations[0].localDomains == ["shoal.test"])
        #expect(configurations[0].allowPlaintextAuthentication)
    }

    @Test func sqliteMailNodesUseTheStateDirectorysDatabase() throws {
        let (_, plan) = try plan("network: 127.0.190.0/24\npools: {mail: 1}\n")
        let text = try #require(try NodeConfigRenderer(plan: plan).config(for: plan.members(of: "mail")[0]))
        let configuration = try MailNodeConfiguration.parse(ConfigDocument.parse(text, file: "mail.yaml"))
        #expect(configuration.directory.description == "sqlite:/state/x/shared/users.db")
    }

    @Test func webNodesServeTheDocroot() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-renderer-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (_, plan) = try plan("network: 127.0.190.0/24\ndocroot: \(root)\npools: {web: 2, cache: 2}\n")
        let renderer = NodeConfigRenderer(plan: plan)
        let web = try WebNodeConfiguration.parse(ConfigDocument.parse(try #require(try renderer.config(for: plan.members(of: "web")[1])), file: "web.yaml"))
        #expect(web.http == Endpoint("127.0.190.12:8080"))
        #expect(web.site.serverName == "web-2")
        let originNode = try #require(plan.node("origin"))
        let origin = try WebNodeConfiguration.parse(ConfigDocument.parse(try #require(try renderer.config(for: originNode)), file: "o.yaml"))
        #expect(origin.http == Endpoint("127.0.190.3:8000"))
        // The cache node's file: its listener, the origin, the other caches as ICP siblings.
        let cache = try ConfigDocument.parse(try #require(try renderer.config(for: plan.members(of: "cache")[0])), file: "cache.yaml")
        #expect(try cache.required("name").string() == "cache-1")
        #expect(try cache.required("http").required("listen").string() == "127.0.190.51:3128")
        #expect(try cache.required("origin").required("servers").list().map { try $0.string() } == ["127.0.190.3:8000"])
        #expect(try cache.required("store").required("directory").string() == "/state/x/nodes/cache-1/cache")
        #expect(try cache.required("icp").required("listen").string() == "127.0.190.51:3130")
        let peers = try cache.required("icp").required("peers").list()
        #expect(try peers.map { try $0.required("icp").string() } == ["127.0.190.52:3130"])
        #expect(try peers.map { try $0.required("http").string() } == ["127.0.190.52:3128"])
        #expect(try peers.map { try $0.required("type").string() } == ["sibling"])
        let ldap = PlannedNode(name: "directory", kind: .ldap, pool: nil, address: "127.0.190.2", listeners: [])
        #expect(try renderer.config(for: ldap) == nil)
    }

    @Test func aConfigurationTheNodeRefusesIsAnError() throws {
        #expect(throws: ApplianceSetup.Failure.self) { try ApplianceSetup.check("hostname: x\n", kind: .mail, file: "/s/mail.yaml") }
        do {
            try ApplianceSetup.check("hostname: x\n", kind: .mail, file: "/s/mail.yaml")
        } catch {
            #expect("\(error)".contains("/s/mail.yaml"))
            #expect("\(error)".contains("directory"))
        }
    }
}
