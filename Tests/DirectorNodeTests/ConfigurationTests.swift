import Director
import DirectorNode
import Foundation
import ShoalCore
import Testing

/// Configuration errors name the file, the line and the field; good files load as written.
@Suite struct ConfigurationTests {
    func load(_ yaml: String) throws(ConfigError) -> DirectorConfiguration {
        try DirectorConfiguration.parse(ConfigDocument.parse(yaml, file: "director.yaml"))
    }

    func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try load(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func aFullServiceLoads() throws {
        let configuration = try load("""
            director:
              timeouts: {tcp: 60, tcpfin: 10, udp: 30}
              connect_timeout: 0.5
              drain_timeout: 5
            services:
              - name: web
                listen: 127.0.0.1:8080
                scheduler: wrr
                persistence: {timeout: 120, netmask: 255.255.255.0}
                proxy_protocol: v2
                check: {type: tcp, delay_loop: 1}
                inhibit_on_failure: true
                sorry_server: 127.0.0.9:80
                quorum: 2
                hysteresis: 1
                servers:
                  - {address: 127.0.0.2:80, weight: 3}
                  - {address: 127.0.0.3:80, check: {type: http, path: /health}}
              - listen: 127.0.0.1:53
                protocol: udp
                scheduler: rr
                servers: [{address: 127.0.0.2:53}]
            """)
        #expect(configuration.timeouts == Timeouts(tcp: 60, tcpFin: 10, udp: 30))
        #expect(configuration.drainTimeout == 5)
        let web = configuration.services[0]
        #expect(web.config.key == .address(.tcp, Endpoint("127.0.0.1:8080")!))
        #expect(web.config.scheduler == .wrr)
        #expect(web.config.persistence == Persistence(timeout: 120, netmask: 0xffff_ff00))
        #expect(web.proxy.sendProxyProtocol == .v2)
        #expect(web.proxy.connectTimeout == .milliseconds(500))
        #expect(web.health.inhibitOnFailure && web.health.quorum == 2 && web.health.hysteresis == 1)
        #expect(web.servers.map(\.config.weight) == [3, 1])
        #expect(web.servers[1].check != nil && web.check != nil)
        #expect(configuration.services[1].config.key == .address(.udp, Endpoint("127.0.0.1:53")!))
        #expect(configuration.services[1].proxy.udpTimeout == .seconds(30))
    }

    @Test func anUnknownSchedulerNamesItsLineAndField() throws {
        let e = try #require(error("""
            services:
              - listen: 127.0.0.1:80
                scheduler: fastest
                servers: [{address: 127.0.0.2:80}]
            """))
        #expect(e.file == "director.yaml" && e.line == 3)
        #expect(e.field == "services[0].scheduler")
        #expect(e.message.contains("fastest"))
    }

    @Test func aDuplicateServiceIsRefusedOnItsSecondDefinition() throws {
        let e = try #require(error("""
            services:
              - listen: 127.0.0.1:80
                servers: [{address: 127.0.0.2:80}]
              - listen: 127.0.0.1:80
                servers: [{address: 127.0.0.3:80}]
            """))
        #expect(e.line == 4)
        #expect(e.message.contains("duplicate service") && e.message.contains("line 2"))
    }

    @Test func aPortOutOfRangeIsRefused() throws {
        let e = try #require(error("""
            services:
              - listen: 127.0.0.1:70000
                servers: [{address: 127.0.0.2:80}]
            """))
        #expect(e.line == 2 && e.field == "services[0].listen")
        #expect(e.message.contains("out of range"))
        let server = try #require(error("""
            services:
              - listen: 127.0.0.1:80
                servers:
                  - {address: 127.0.0.2:0}
            """))
        #expect(server.line == 4 && server.field == "services[0].servers[0].address")
    }

    @Test func anUnreadableTokenFileIsRefused() throws {
        let e = try #require(error("""
            director:
              admin: {listen: 127.0.0.1:9900, token_file: /nonexistent/shoal-token}
            services: []
            """))
        #expect(e.line == 2 && e.field == "director.admin.token_file")
        #expect(e.message.contains("/nonexistent/shoal-token"))
    }

    @Test func typosAndBadValuesAreErrorsNotDefaults() throws {
        #expect(error("services:\n  - listen: 127.0.0.1:80\n    schedular: rr\n    servers: []\n")?.field == "services[0].schedular")
        #expect(error("services:\n  - listen: 127.0.0.1:80\n    servers: [{address: 127.0.0.2:80, weight: 70000}]\n")?.field
            == "services[0].servers[0].weight")
        #expect(error("services:\n  - listen: 127.0.0.1:80\n    proxy_protocol: v3\n    servers: []\n")?.field == "services[0].proxy_protocol")
        #expect(error("services:\n  - listen: 127.0.0.1:80\n    check: {type: gopher}\n    servers: []\n")?.field == "services[0].check.type")
        #expect(error("services:\n  - listen: 127.0.0.1:80\n    pools: {a: {servers: []}}\n    servers: []\n")?.message.contains("protocol: http") == true)
    }

    @Test func httpPoolsBecomeFirewallMarkServices() throws {
        let configuration = try load("""
            services:
              - listen: 127.0.0.1:80
                protocol: http
                servers: [{address: 127.0.0.2:80}]
                pools:
                  static: {scheduler: rr, fwmark: 7, servers: [{address: 127.0.0.3:80}]}
                http:
                  cookie: SRV
                  rules:
                    - {path_prefix: /img/, pool: static}
            """)
        let service = configuration.services[0]
        #expect(service.pools.map(\.config.key) == [.fwmark(7, .inet)])
        #expect(service.http?.pools["static"] == .fwmark(7, .inet))
        #expect(service.http?.cookie == "SRV")
        let e = try #require(error("""
            services:
              - listen: 127.0.0.1:80
                protocol: http
                servers: [{address: 127.0.0.2:80}]
                http:
                  rules:
                    - {path_prefix: /img/, pool: nosuch}
            """))
        #expect(e.line == 7 && e.message.contains("nosuch"))
    }

    @Test func anIPVSRulesFileLoadsAndFirewallMarksAreRefused() throws {
        let dir = NSTemporaryDirectory() + "shoal-rules-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "-A -t 127.0.0.1:80 -s rr\n-a -t 127.0.0.1:80 -r 127.0.0.2:80 -m -w 2\n-A -u 127.0.0.1:53 -s wrr\n"
            .write(toFile: dir + "/ok.rules", atomically: true, encoding: .utf8)
        let configuration = try DirectorConfiguration.load(rulesPath: dir + "/ok.rules")
        #expect(configuration.services.map(\.mode) == [.tcp, .udp])
        #expect(configuration.services[0].servers.map(\.config.weight) == [2])
        try "-A -t 127.0.0.1:80 -s rr\n-A -f 5 -s rr\n".write(toFile: dir + "/fwm.rules", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try DirectorConfiguration.load(rulesPath: dir + "/fwm.rules") }
        do {
            _ = try DirectorConfiguration.load(rulesPath: dir + "/fwm.rules")
        } catch {
            #expect(error.line == 2 && error.file == dir + "/fwm.rules")
        }
    }
}
