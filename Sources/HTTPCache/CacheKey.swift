/// Cache keys: the absolute URI (`http://host[:port]/path?query`), scheme and host lowercased.
public enum CacheKey {
    /// The key for an origin-form target on `authority` (`host:port`), or for an absolute-form target as it is.
    public static func url(target: String, authority: String) -> String? {
        if target.hasPrefix("/") { return normalized(absolute: "http://" + authority + target) }
        return normalized(absolute: target)
    }

    /// `http://` and the authority lowercased, when ``url(originFormTarget:prefix:)`` may use it for that authority:
    /// one that ``parts(_:)`` splits off whole (not empty; no `/`, `?`, `#`, `@` or space).
    public static func prefix(authority: String) -> String? {
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else { return nil }
        return "http://" + authority.lowercased()
    }

    /// ``url(target:authority:)`` for an origin-form target (starting with `/`) on an authority given as its
    /// ``prefix(authority:)``, without splitting the URI again: the same key, or nil to take the general path.
    public static func url(originFormTarget target: String, prefix: String) -> String? {
        // parts(_:) refuses URIs over 8192 characters; a UTF-8 length within that is surely within it.
        guard target.utf8.first == UInt8(ascii: "/"), prefix.utf8.count + target.utf8.count <= 8192 else { return nil }
        if let fragment = target.utf8.firstIndex(of: UInt8(ascii: "#")) { return prefix + target[..<fragment] }
        return prefix + target
    }

    /// An absolute http URI with scheme and host lowercased, a missing path made `/`; nil when it is not one.
    public static func normalized(absolute: String) -> String? {
        guard let split = parts(absolute) else { return nil }
        return "http://" + split.authority.lowercased() + split.target
    }

    /// `http://host:port` of an absolute http URI.
    public static func origin(of url: String) -> String? {
        parts(url).map { "http://" + $0.authority.lowercased() }
    }

    /// Authority and origin-form target of an absolute http URI (no userinfo, no fragment).
    public static func parts(_ url: String) -> (authority: String, target: String)? {
        guard url.count <= 8192, url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<end]
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(" ") else { return nil }
        var target = String(rest[end...].prefix { $0 != "#" })
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        return (String(authority), target)
    }

    /// Host and port of an authority (`host`, `host:port`, `[v6]:port`); port 80 when absent.
    public static func hostAndPort(_ authority: String) -> (host: String, port: Int)? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, 80) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count <= 2, !pieces[0].isEmpty else { return nil }
        if pieces.count == 1 { return (String(pieces[0]), 80) }
        guard let port = Int(pieces[1]), (1...65535).contains(port) else { return nil }
        return (String(pieces[0]), port)
    }
}
