import HTTPCache
import ShoalCore
import Testing

/// The cache node's YAML: a full file parses; errors name file, line and field.
@Suite struct ConfigurationTests {
    static func parse(_ yaml: String) throws(ConfigError) -> CacheNodeConfiguration {
        try CacheNodeConfiguration.parse(ConfigDocument.parse(yaml, file: "cache.yaml"))
    }

    @Test func fullFile() throws {
        let configuration = try Self.parse("""
            name: a
            http: { listen: "127.0.0.1:3128" }
            origin: { servers: ["127.0.0.1:8080", "127.0.0.2:8080"], site: "www.example:80" }
            store: { directory: /tmp/x, capacity_bytes: 2048 }
            icp:
              listen: "127.0.0.1:3130"
              allow: [127.0.0.2]
              peers: [{ icp: "127.0.0.2:3130", http: "127.0.0.2:3128", type: parent }]
            purge_allow: [127.0.0.1]
            targeted_cache_control: ""
            """)
        #expect(configuration.origins.count == 2 && configuration.siteAuthority == "www.example:80")
        #expect(configuration.peers.count == 1 && configuration.peers[0].kind == .parent)
        #expect(configuration.targetedField == nil && configuration.capacityBytes == 2048)
        #expect(configuration.icpAllow.count == 1 && configuration.icpTimeoutMilliseconds == 2000)
    }

    @Test func errorsNameFileLineAndField() {
        do {
            _ = try Self.parse("http: { listen: \"127.0.0.1:3128\" }\nforward_proxy: true\nstore: { directory: /tmp/x }\nicp:\n  listen: \"127.0.0.1:1\"\n  peers: [{ icp: \"nonsense\", http: \"127.0.0.2:1\" }]\n")
            Issue.record("accepted a bad peer address")
        } catch {
            #expect(error.file == "cache.yaml" && error.line == 6)
            #expect(error.field?.contains("icp") == true)
        }
        do {
            _ = try Self.parse("http: { listen: \"127.0.0.1:3128\" }\nforward_proxy: true\nstore: { directory: /tmp/x }\nstroe: 1\n")
            Issue.record("accepted a typo")
        } catch {
            #expect(error.line == 4)
        }
        #expect(throws: ConfigError.self) { try Self.parse("http: { listen: \"127.0.0.1:3128\" }\nstore: { directory: /tmp/x }\n") }
    }
}
