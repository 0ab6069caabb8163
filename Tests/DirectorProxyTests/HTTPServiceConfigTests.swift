import Director
import DirectorProxy
import ShoalCore
import Testing

/// The `http:` block: defaults, each field, and errors that name file, line and field.
@Suite struct HTTPServiceConfigTests {
    let pools: [String: VirtualServiceKey] = ["static": .fwmark(1, .inet), "api": .fwmark(2, .inet)]

    func parse(_ text: String) throws(ConfigError) -> HTTPServiceConfig {
        try HTTPServiceConfig.parse(try ConfigDocument.parse(text, file: "svc.yaml").required("http"), pools: pools)
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func tlsFieldsAndTheirErrors() throws {
        let plain = try parse("http:\n  cookie: C\n")
        #expect(plain.tls == nil && plain.nodeTLS == nil && plain.clientScheme == "http")
        let noKey = error("http:\n  tls: {certificate: /nonexistent.pem}\n")
        #expect(noKey?.file == "svc.yaml" && noKey?.line == 2 && noKey?.field?.hasPrefix("http.tls") == true && noKey?.description.contains("key") == true, "\(String(describing: noKey))")
        let typo = error("http:\n  tls: {certificate: /a.pem, key: /a.key, chain: /b.pem}\n")
        #expect(typo?.field == "http.tls.chain", "\(String(describing: typo))")
        let missing = error("http:\n  tls: {certificate: /nonexistent/a.pem, key: /nonexistent/a.key}\n")
        #expect(missing?.line == 2 && missing?.field == "http.tls.certificate" && missing?.message.contains("/nonexistent/a.pem") == true,
                "\(String(describing: missing))")
        let nodeTLS = error("http:\n  node_tls: {verify: maybe}\n")
        #expect(nodeTLS?.line == 2 && nodeTLS?.field == "http.node_tls.verify", "\(String(describing: nodeTLS))")
        let nodes = try parse("http:\n  node_tls: {verify: false}\n")
        #expect(nodes.nodeTLS != nil && nodes.nodeTLS?.serverName == nil)
    }

    @Test func defaults() throws {
        let config = try parse("http:\n  rules: []\n")
        #expect(config.cookie == nil)
        #expect(config.forwardedFor)
        #expect(config.rules.isEmpty)
        #expect(config.defaultPool == nil)
    }

    @Test func allFields() throws {
        let config = try parse("""
            http:
              cookie: SHOALSRV
              forwarded_for: false
              default_pool: api
              max_header_bytes: 4096
              rules:
                - {path_prefix: /s/, pool: static}
            """)
        #expect(config.cookie == "SHOALSRV")
        #expect(!config.forwardedFor)
        #expect(config.defaultPool == "api")
        #expect(config.maximumHeaderBytes == 4096)
        #expect(config.rules.count == 1)
        #expect(config.rules[0].line == 7)
        #expect(config.route(HTTPRequestFacts(method: "GET", path: "/x", host: nil, headers: [:])) == .pool(name: "api", key: .fwmark(2, .inet)))
    }

    @Test(arguments: [
        ("http:\n  rules:\n    - {path_prefix: /a, pool: nosuch}\n", 3, "http.rules[0].pool", "unknown pool 'nosuch'"),
        ("http:\n  rules:\n    - {path_regex: '(unclosed', pool: static}\n", 3, "http.rules[0].path_regex", "not a valid regular expression"),
        ("http:\n  rules:\n    - {path_prefix: a, pool: static}\n", 3, "http.rules[0].path_prefix", "must start with '/'"),
        ("http:\n  rules:\n    - {pool: static}\n", 3, "http.rules[0]", "at least one condition"),
        ("http:\n  rules:\n    - {path_prefix: /a}\n", 3, "http.rules[0].pool", "required field is missing"),
        ("http:\n  rules:\n    - {paht_prefix: /a, pool: static}\n", 3, "http.rules[0].paht_prefix", "unknown field"),
        ("http:\n  rules:\n    - {host: 'a b', pool: static}\n", 3, "http.rules[0].host", "not a host name"),
        ("http:\n  rules:\n    - {host: '*.*.x', pool: static}\n", 3, "http.rules[0].host", "not a host name"),
        ("http:\n  rules:\n    - {method: 'GE T', pool: static}\n", 3, "http.rules[0].method", "not an HTTP method"),
        ("http:\n  rules:\n    - {header: {value: x}, pool: static}\n", 3, "http.rules[0].header.name", "required"),
        ("http:\n  rules:\n    - {header: {name: X, value: a, value_regex: b}, pool: static}\n", 3, "http.rules[0].header", "not both"),
        ("http:\n  rules:\n    - {header: {name: X, value_regex: '[z-a]'}, pool: static}\n", 3, "http.rules[0].header.value_regex", "regular expression"),
        ("http:\n  cookie: 'a b'\n", 2, "http.cookie", "not a valid cookie name"),
        ("http:\n  forwarded_for: maybe\n", 2, "http.forwarded_for", "not true or false"),
        ("http:\n  default_pool: zz\n", 2, "http.default_pool", "unknown pool"),
        ("http:\n  colour: red\n", 2, "http.colour", "unknown field"),
    ] as [(String, Int, String, String)])
    func errorsNameFileLineAndField(text: String, line: Int, field: String, message: String) throws {
        let e = try #require(error(text))
        #expect(e.file == "svc.yaml")
        #expect(e.line == line, "\(e)")
        #expect(e.field == field, "\(e)")
        #expect(e.message.contains(message), "\(e)")
    }
}
