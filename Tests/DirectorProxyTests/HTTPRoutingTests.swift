import Director
import DirectorProxy
import NIOHTTP1
import ShoalCore
import Testing

/// Routing rules: each condition alone, conjunction, order, and the request facts they look at.
@Suite struct HTTPRoutingTests {
    static let pools: [String: VirtualServiceKey] = [
        "static": .fwmark(1, .inet), "api": .fwmark(2, .inet), "beta": .fwmark(3, .inet), "images": .fwmark(4, .inet),
    ]

    static let yaml = """
        http:
          cookie: SHOALSRV
          rules:
            - {host: static.example.com, pool: static}
            - {path_prefix: /api/, method: POST, pool: api}
            - {path_regex: '\\.(png|css)$', pool: static}
            - {header: {name: X-Beta, value: "1"}, pool: beta}
            - {host: '*.img.example.com', path_suffix: .jpg, pool: images}
            - {header: {name: X-Version, value_regex: '^v[23]$'}, pool: beta}
            - {header: {name: X-Any}, method: [GET, HEAD], pool: beta}
        """

    static func config() throws -> HTTPServiceConfig {
        try HTTPServiceConfig.parse(try ConfigDocument.parse(yaml, file: "svc.yaml").required("http"), pools: pools)
    }

    func head(_ uri: String, host: String? = "www.example.com", _ headers: [(String, String)] = []) -> HTTPRequestHead {
        head(.GET, uri, host: host, headers)
    }

    func head(_ method: HTTPMethod, _ uri: String, host: String? = "www.example.com", _ headers: [(String, String)] = []) -> HTTPRequestHead {
        var h = HTTPHeaders(headers)
        if let host { h.add(name: "Host", value: host) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: h)
    }

    func route(_ head: HTTPRequestHead) throws -> String {
        switch try Self.config().route(HTTPRequestFacts(head)) {
        case .defaultPool: return "default"
        case let .pool(name, _): return name
        }
    }

    @Test func hostIsExactCaseInsensitiveWithoutPort() throws {
        #expect(try route(head("/", host: "static.example.com")) == "static")
        #expect(try route(head("/", host: "STATIC.Example.COM:8080")) == "static")
        #expect(try route(head("/", host: "static.example.com.")) == "static")
        #expect(try route(head("/", host: "xstatic.example.com")) == "default")
        #expect(try route(head("/", host: "a.static.example.com")) == "default")
        #expect(try route(head("/", host: nil)) == "default")
        // The absolute form's authority wins over Host.
        #expect(try route(head("http://static.example.com/x", host: "other")) == "static")
    }

    @Test func wildcardHostNeedsALabelBeforeTheSuffix() throws {
        #expect(try route(head("/a.jpg", host: "cdn.img.example.com")) == "images")
        #expect(try route(head("/a.jpg", host: "x.y.img.example.com")) == "images")
        #expect(try route(head("/a.jpg", host: "img.example.com")) == "default")
        #expect(try route(head("/a.jpg", host: "ximg.example.com")) == "default")
        // Both conditions of the rule must hold.
        #expect(try route(head("/a.gif", host: "cdn.img.example.com")) == "default")
    }

    @Test func pathPrefixAndMethodMustBothMatch() throws {
        #expect(try route(head(.POST, "/api/users")) == "api")
        #expect(try route(head(.GET, "/api/users")) == "default")
        #expect(try route(head(.POST, "/apiary")) == "default")
        #expect(try route(head(.POST, "/API/users")) == "default")
        #expect(try route(head(.POST, "/api/?q=1")) == "api")
    }

    @Test func pathRegexSeesThePathWithoutTheQuery() throws {
        #expect(try route(head("/site/main.css")) == "static")
        #expect(try route(head("/logo.png?v=3")) == "static")
        #expect(try route(head("/logo.png.html")) == "default")
        #expect(try route(head("/x?file=a.png")) == "default")
    }

    @Test func headerConditions() throws {
        #expect(try route(head("/", [("X-Beta", "1")])) == "beta")
        #expect(try route(head("/", [("x-beta", "1")])) == "beta")
        #expect(try route(head("/", [("X-Beta", "10")])) == "default")
        #expect(try route(head("/", [("X-Version", "v3")])) == "beta")
        #expect(try route(head("/", [("X-Version", "v4")])) == "default")
        #expect(try route(head(.GET, "/", [("X-Any", "")])) == "beta")
        #expect(try route(head(.HEAD, "/", [("X-Any", "zz")])) == "beta")
        #expect(try route(head(.DELETE, "/", [("X-Any", "zz")])) == "default")
    }

    @Test func firstMatchingRuleWins() throws {
        // Host rule (1st) beats the regex rule (3rd) and the header rule (4th).
        #expect(try route(head("/a.png", host: "static.example.com", [("X-Beta", "1")])) == "static")
        // POST /api/ (2nd) beats the regex (3rd).
        #expect(try route(head(.POST, "/api/a.css")) == "api")
        // The regex rule (3rd) beats the header rule (4th).
        #expect(try route(head("/a.css", [("X-Beta", "1")])) == "static")
    }

    @Test func routesToServiceKeysAndSchedulingRequests() throws {
        let vip = l7Endpoint("10.0.0.80:80")
        let client = l7Endpoint("192.0.2.5:40000")
        let config = try Self.config()
        let api = config.route(HTTPRequestFacts(head(.POST, "/api/x")))
        #expect(api == .pool(name: "api", key: .fwmark(2, .inet)))
        #expect(api.connectionRequest(client: client, virtual: vip) == ConnectionRequest(proto: .tcp, client: client, virtual: vip, fwmark: 2))
        let fallback = config.route(HTTPRequestFacts(head("/")))
        #expect(fallback.serviceKey(virtual: vip) == .address(.tcp, vip))
        #expect(fallback.connectionRequest(client: client, virtual: vip) == ConnectionRequest(proto: .tcp, client: client, virtual: vip))
        // An `.address` pool is scheduled with its own virtual endpoint.
        let other = HTTPRoute.pool(name: "o", key: .address(.tcp, l7Endpoint("10.0.0.81:8080")))
        #expect(other.connectionRequest(client: client, virtual: vip).virtual == l7Endpoint("10.0.0.81:8080"))
    }

    @Test func requestFacts() {
        let facts = HTTPRequestFacts(head(.PUT, "/a/b?c#d", host: "[2001:DB8::1]:8080"))
        #expect(facts.method == "PUT")
        #expect(facts.path == "/a/b")
        #expect(facts.host == "[2001:db8::1]")
        #expect(HTTPRequestFacts(head("*", host: "h")).path == "*")
        #expect(HTTPRequestFacts(head("http://user@Example.org", host: nil)).host == "example.org")
        #expect(HTTPRequestFacts(head("http://Example.org", host: nil)).path == "/")
    }
}
