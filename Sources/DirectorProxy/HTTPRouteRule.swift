public import NIOHTTP1

/// A compiled regular expression with its source text (compiled once, when the configuration is loaded).
public struct HTTPPattern: @unchecked Sendable, CustomStringConvertible {
    // Regex<AnyRegexOutput> is not Sendable; it is never mutated after init, so sharing it is safe.
    private let regex: Regex<AnyRegexOutput>
    public let source: String

    /// Compiles `source`; throws the compiler's error for a bad pattern.
    public init(_ source: String) throws {
        self.regex = try Regex(source)
        self.source = source
    }

    /// True when the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    public var description: String { source }
}

/// How a host condition matches the request's Host (lowercased, port and trailing dot stripped).
public enum HTTPHostPattern: Hashable, Sendable {
    /// This name exactly (case-insensitive).
    case exact(String)
    /// Any name ending in `.suffix` (written `*.suffix`); the bare suffix does not match.
    case wildcard(suffix: String)

    /// Parses `static.example.com` or `*.example.com`.
    public init(_ text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("*.") {
            self = .wildcard(suffix: String(lower.dropFirst(2)))
        } else {
            self = .exact(lower)
        }
    }

    public func matches(_ host: String) -> Bool {
        switch self {
        case let .exact(name): return host == name
        case let .wildcard(suffix): return host.count > suffix.count + 1 && host.hasSuffix("." + suffix)
        }
    }
}

/// How a header condition matches the header's values.
public enum HTTPHeaderValueMatch: Sendable {
    /// Any value: the header need only be present.
    case present
    /// One of the header's values equals this exactly.
    case exact(String)
    /// One of the header's values matches this pattern.
    case pattern(HTTPPattern)
}

/// One condition of a routing rule.
public enum HTTPRouteCondition: Sendable {
    case host(HTTPHostPattern)
    case pathPrefix(String)
    case pathSuffix(String)
    case pathRegex(HTTPPattern)
    /// One of these methods (uppercase).
    case method(Set<String>)
    /// A header by name (case-insensitive) and how its value must match.
    case header(name: String, value: HTTPHeaderValueMatch)

    public func matches(_ request: HTTPRequestFacts) -> Bool {
        switch self {
        case let .host(pattern):
            guard let host = request.host else { return false }
            return pattern.matches(host)
        case let .pathPrefix(prefix): return request.path.hasPrefix(prefix)
        case let .pathSuffix(suffix): return request.path.hasSuffix(suffix)
        case let .pathRegex(pattern): return pattern.matches(request.path)
        case let .method(methods): return methods.contains(request.method)
        case let .header(name, match):
            let values = request.headers[name]
            switch match {
            case .present: return !values.isEmpty
            case let .exact(text): return values.contains(text)
            case let .pattern(pattern): return values.contains { pattern.matches($0) }
            }
        }
    }
}

/// A routing rule: every condition, in order, must match for the request to go to `pool`.
public struct HTTPRouteRule: Sendable {
    public var conditions: [HTTPRouteCondition]
    public var pool: String
    public var line: Int?

    public init(conditions: [HTTPRouteCondition], pool: String, line: Int? = nil) {
        self.conditions = conditions
        self.pool = pool
        self.line = line
    }

    public func matches(_ request: HTTPRequestFacts) -> Bool {
        conditions.allSatisfy { $0.matches(request) }
    }
}

/// What routing looks at in a request: method, path (no query), host, headers.
public struct HTTPRequestFacts: Sendable {
    public var method: String
    public var path: String
    /// Lowercased, without port or trailing dot; nil when the request names none.
    public var host: String?
    public var headers: HTTPHeaders

    public init(method: String, path: String, host: String?, headers: HTTPHeaders) {
        self.method = method
        self.path = path
        self.host = host
        self.headers = headers
    }

    /// The facts of a request head: an absolute-form URI supplies the host and path; otherwise Host does.
    public init(_ head: HTTPRequestHead) {
        var uri = Substring(head.uri)
        var host: Substring? = head.headers.first(name: "host").map { Substring($0) }
        if let schemeEnd = uri.range(of: "://"), uri.prefix(upTo: schemeEnd.lowerBound).allSatisfy({ $0.isLetter }) {
            let rest = uri[schemeEnd.upperBound...]
            let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            host = rest[..<slash]
            uri = rest[slash...]
        }
        let pathEnd = uri.firstIndex { $0 == "?" || $0 == "#" } ?? uri.endIndex
        var path = String(uri[..<pathEnd])
        if path.isEmpty { path = "/" }
        self.init(method: head.method.rawValue, path: path, host: host.map { Self.normalizedHost($0) }, headers: head.headers)
    }

    /// `Example.COM:8080` → `example.com`; `[2001:DB8::1]:80` → `[2001:db8::1]`; userinfo dropped.
    public static func normalizedHost(_ text: Substring) -> String {
        var host = text.trimmingWhitespace()
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return host.lowercased()
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
