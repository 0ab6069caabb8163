/// A request target reduced to a safe path under the document root: percent-decoded once, split into
/// segments, with every way out of the root refused. Pure; never traps on any input.
public struct RequestPath: Sendable, Equatable {
    /// The decoded path segments (no empty, `.` or `..` segments).
    public var segments: [String]
    /// The raw path ended in `/` (a directory was asked for).
    public var hasTrailingSlash: Bool
    /// The raw query, without the `?`, when there was one.
    public var query: String?

    /// The segments joined with `/` (empty for the root).
    public var relative: String { segments.joined(separator: "/") }

    /// The path as it would appear in a URL again (each segment percent-encoded where needed), from the root.
    public var encoded: String {
        "/" + segments.map(Self.percentEncode).joined(separator: "/") + (hasTrailingSlash && !segments.isEmpty ? "/" : "")
    }

    /// Why a target was refused, with the status it earns.
    public enum Refusal: Error, Equatable, Sendable {
        /// Not a path (no leading `/`, a bad `%xx`, a NUL, not UTF-8): 400.
        case malformed(String)
        /// A way out of the root (`..`, a backslash) or a hidden file: 403.
        case forbidden(String)

        /// The HTTP status code for the refusal.
        public var statusCode: Int {
            switch self {
            case .malformed: 400
            case .forbidden: 403
            }
        }
    }

    /// Which hidden names may be served.
    public enum DotfilePolicy: Sendable, Equatable {
        /// Segments starting with `.` are refused, except `.well-known` (RFC 8615).
        case deny
        /// Hidden names are served like any other.
        case allow
    }

    /// The most segments a path may have.
    public static let maximumDepth = 64

    public init(segments: [String], hasTrailingSlash: Bool, query: String? = nil) {
        self.segments = segments
        self.hasTrailingSlash = hasTrailingSlash
        self.query = query
    }

    /// Parses an origin-form (`/a/b?q`) or absolute-form (`http://host/a/b`) request target.
    public init(target: String, dotfiles: DotfilePolicy = .deny) throws(Refusal) {
        if let plain = Self.plain(target) {
            self = plain
        } else {
            self = try Self.general(target, dotfiles: dotfiles)
        }
    }

    /// Any target, the general way: absolute-form reduced, query split off, escapes decoded once, dot segments
    /// and hidden names checked.
    static func general(_ target: String, dotfiles: DotfilePolicy) throws(Refusal) -> RequestPath {
        var raw = Substring(target)
        let lowered = raw.prefix(8).lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            let afterScheme = raw[raw.index(raw.startIndex, offsetBy: lowered.hasPrefix("http://") ? 7 : 8)...]
            if let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                raw = afterScheme[slash...]
                if raw.first == "?" { raw = "/" + raw }
            } else {
                raw = "/"
            }
        }
        guard raw.first == "/" else { throw .malformed("the request target is not a path") }
        var query: String?
        if let mark = raw.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            if raw[mark] == "?" { query = String(raw[raw.index(after: mark)...].prefix { $0 != "#" }) }
            raw = raw[..<mark]
        }
        let decoded = try Self.percentDecode(Array(raw.utf8))
        if decoded.contains(0) { throw .malformed("the path contains a NUL byte") }
        if decoded.contains(UInt8(ascii: "\\")) { throw .forbidden("the path contains a backslash") }
        guard let text = String(validating: decoded, as: UTF8.self) else { throw .malformed("the path is not UTF-8") }
        var segments: [String] = []
        for segment in text.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { throw .forbidden("the path contains '..'") }
            if dotfiles == .deny, segment.hasPrefix("."), segment != ".well-known" {
                throw .forbidden("the path names a hidden file")
            }
            segments.append(String(segment))
            if segments.count > Self.maximumDepth { throw .malformed("the path has more than \(Self.maximumDepth) segments") }
        }
        return RequestPath(segments: segments, hasTrailingSlash: text.hasSuffix("/") || text.hasSuffix("/."), query: query)
    }

    /// The common case without any work of the general parser: an origin-form path of letters, digits and `-._~`
    /// only, no segment starting with `.` and no empty segment (no escapes, query, dot segments or hidden names to
    /// deal with), split as it is; nil for anything else. What it accepts the general parser reads the same way.
    static func plain(_ target: String) -> RequestPath? {
        var target = target
        return target.withUTF8 { bytes -> RequestPath? in
            guard bytes.count > 0, bytes[0] == UInt8(ascii: "/") else { return nil }
            var segments: [String] = []
            var start = 1
            var index = 1
            while index <= bytes.count {
                let byte = index < bytes.count ? bytes[index] : UInt8(ascii: "/")
                if byte == UInt8(ascii: "/") {
                    if index == start {
                        // An empty segment: only the root itself or a trailing slash is plain.
                        guard index == bytes.count || (index == 1 && bytes.count == 1) else { return nil }
                    } else {
                        guard segments.count < maximumDepth else { return nil }
                        segments.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                    }
                    start = index + 1
                } else {
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                         UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                        break
                    case UInt8(ascii: "."):
                        guard index != start else { return nil }
                    default:
                        return nil
                    }
                }
                index += 1
            }
            return RequestPath(segments: segments, hasTrailingSlash: bytes[bytes.count - 1] == UInt8(ascii: "/"))
        }
    }

    /// Decodes `%xx` escapes once (a `%25` becomes a literal `%`, never decoded again); a bad escape is malformed.
    static func percentDecode(_ bytes: [UInt8]) throws(Refusal) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw .malformed("a '%' escape is not followed by two hex digits")
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes what may not appear raw in a path segment (RFC 3986 `pchar`).
    public static func percentEncode(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
                 UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                 UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return out
    }
}
