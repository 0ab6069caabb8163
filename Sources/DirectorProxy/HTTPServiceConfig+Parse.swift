public import Director
public import ShoalCore
import ShoalServer

extension HTTPServiceConfig {
    static let ruleFields: Set<String> = ["host", "path_prefix", "path_suffix", "path_regex", "method", "header", "pool"]

    /// Reads the `http:` mapping of a service:
    ///
    ///     cookie: SHOALSRV          # optional
    ///     forwarded_for: true       # default true
    ///     default_pool: web         # optional; else the service's own pool
    ///     max_header_bytes: 32768   # optional
    ///     tls: {certificate: /etc/shoal/web.pem, key: /etc/shoal/web.key}   # optional: an HTTPS VIP
    ///     node_tls: {ca_file: /etc/shoal/ca.pem, verify: true}              # optional: HTTPS to the nodes
    ///     rules:
    ///       - {host: static.example.com, pool: static}
    ///       - {path_prefix: /api/, method: POST, pool: api}
    ///
    /// `pools` names the pools rules may use; an unknown pool, field or bad regex is an error naming
    /// the file, line and field.
    public static func parse(_ node: ConfigNode, pools: [String: VirtualServiceKey]) throws(ConfigError) -> HTTPServiceConfig {
        try node.allowOnly(["cookie", "forwarded_for", "default_pool", "max_header_bytes", "rules", "tls", "node_tls"])
        var config = HTTPServiceConfig(pools: pools)
        if let cookie = try node.optional("cookie") {
            let name = try cookie.string()
            guard !name.isEmpty, name.utf8.allSatisfy(isCookieNameByte) else {
                throw cookie.error("'\(name)' is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~)")
            }
            config.cookie = name
        }
        if let forwarded = try node.optional("forwarded_for") { config.forwardedFor = try forwarded.bool() }
        if let limit = try node.optional("max_header_bytes") { config.maximumHeaderBytes = try limit.int(in: 1024...1_048_576) }
        if let fallback = try node.optional("default_pool") {
            config.defaultPool = try poolName(fallback, pools)
        }
        if let tls = try node.optional("tls") {
            config.tls = try parseTLS(tls)
        }
        if let nodeTLS = try node.optional("node_tls") {
            config.nodeTLS = try NodeTLS.parse(nodeTLS)
        }
        if let rules = try node.optional("rules") {
            for item in try rules.list() {
                config.rules.append(try parseRule(item, pools: pools))
            }
        }
        return config
    }

    /// `tls: {certificate, key}`: both files are read now; an unreadable or mismatched pair is an error at
    /// the config line of the field that names it.
    static func parseTLS(_ node: ConfigNode) throws(ConfigError) -> TLSContextSource {
        try node.allowOnly(["certificate", "key"])
        let certificate = try node.required("certificate"), key = try node.required("key")
        do {
            return try TLSContextSource(certificatePath: try certificate.string(), keyPath: try key.string())
        } catch {
            let culprit = error.field == "tls.key" ? key : certificate
            throw culprit.error(error.message + " (\(error.file ?? "?"))")
        }
    }

    static func parseRule(_ node: ConfigNode, pools: [String: VirtualServiceKey]) throws(ConfigError) -> HTTPRouteRule {
        try node.allowOnly(ruleFields)
        let pool = try poolName(try node.required("pool"), pools)
        var conditions: [HTTPRouteCondition] = []
        for (key, value) in try node.entries() where key != "pool" {
            conditions.append(try parseCondition(key, value))
        }
        guard !conditions.isEmpty else {
            throw node.error("a rule needs at least one condition (host, path_prefix, path_suffix, path_regex, method, header); use default_pool for a catch-all")
        }
        return HTTPRouteRule(conditions: conditions, pool: pool, line: node.line)
    }

    static func parseCondition(_ key: String, _ value: ConfigNode) throws(ConfigError) -> HTTPRouteCondition {
        switch key {
        case "host":
            let text = try value.string()
            let body = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
            guard !body.isEmpty, !body.contains("*"), !body.contains(":"), !body.contains("/"), !body.contains(" ") else {
                throw value.error("'\(text)' is not a host name or *.domain pattern")
            }
            return .host(HTTPHostPattern(text))
        case "path_prefix":
            let text = try value.string()
            guard text.hasPrefix("/") else { throw value.error("a path prefix must start with '/'") }
            return .pathPrefix(text)
        case "path_suffix":
            let text = try value.string()
            guard !text.isEmpty else { throw value.error("a path suffix must not be empty") }
            return .pathSuffix(text)
        case "path_regex":
            return .pathRegex(try pattern(value))
        case "method":
            var methods: Set<String> = []
            let items = (try? value.list()) ?? [value]
            for item in items {
                let method = try item.string()
                guard !method.isEmpty, method.utf8.allSatisfy({ isCookieNameByte($0) }) else {
                    throw item.error("'\(method)' is not an HTTP method")
                }
                methods.insert(method.uppercased())
            }
            guard !methods.isEmpty else { throw value.error("name at least one method") }
            return .method(methods)
        case "header":
            try value.allowOnly(["name", "value", "value_regex"])
            let nameNode = try value.required("name")
            let name = try nameNode.string()
            guard !name.isEmpty, name.utf8.allSatisfy(isCookieNameByte) else {
                throw nameNode.error("'\(name)' is not a header name")
            }
            let exact = try value.optional("value")
            let regex = try value.optional("value_regex")
            switch (exact, regex) {
            case (nil, nil): return .header(name: name, value: .present)
            case let (exact?, nil): return .header(name: name, value: .exact(try exact.string()))
            case let (nil, regex?): return .header(name: name, value: .pattern(try pattern(regex)))
            case (_?, _?): throw value.error("give either value or value_regex, not both")
            }
        default:
            throw value.error("unknown condition")
        }
    }

    static func pattern(_ node: ConfigNode) throws(ConfigError) -> HTTPPattern {
        let text = try node.string()
        do {
            return try HTTPPattern(text)
        } catch {
            throw node.error("'\(text)' is not a valid regular expression: \(error)")
        }
    }

    static func poolName(_ node: ConfigNode, _ pools: [String: VirtualServiceKey]) throws(ConfigError) -> String {
        let name = try node.string()
        guard pools[name] != nil else {
            let known = pools.keys.sorted()
            throw node.error("unknown pool '\(name)' (known pools: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        return name
    }

    /// RFC 7230 token characters (cookie names, header names and methods are tokens).
    static func isCookieNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
