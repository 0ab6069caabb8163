public import NIOHTTP1

/// The directives of `Cache-Control` (RFC 9111 §5.2) or `CDN-Cache-Control` (RFC 9213): names lowercased,
/// arguments unquoted. A directive given twice keeps its first value; a malformed delta-seconds is ignored.
public struct CacheControl: Sendable, Equatable {
    public private(set) var directives: [String: String?] = [:]

    public init() {}

    /// Parses every field line named `name` (joined by commas).
    public init(_ headers: HTTPHeaders, name: String = "Cache-Control") {
        self.init(value: headers[name].joined(separator: ","))
    }

    /// Parses one field value; never traps, ignores what it cannot read.
    public init(value: String) {
        var rest = Substring(value)
        while !rest.isEmpty, directives.count < 64 {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard !rest.isEmpty else { break }
            let nameEnd = rest.firstIndex { $0 == "=" || $0 == "," } ?? rest.endIndex
            let name = rest[..<nameEnd].trimmingCharacters().lowercased()
            rest = rest[nameEnd...]
            var argument: String?
            if rest.first == "=" {
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                if rest.first == "\"" {
                    rest = rest.dropFirst()
                    var text = ""
                    var escaped = false
                    var closed = false
                    while let c = rest.first {
                        rest = rest.dropFirst()
                        if escaped { text.append(c); escaped = false }
                        else if c == "\\" { escaped = true }
                        else if c == "\"" { closed = true; break }
                        else { text.append(c) }
                    }
                    argument = closed ? text : nil
                    rest = rest.drop { $0 != "," }
                } else {
                    let end = rest.firstIndex(of: ",") ?? rest.endIndex
                    argument = rest[..<end].trimmingCharacters()
                    rest = rest[end...]
                }
            }
            if !name.isEmpty, directives[name] == nil { directives[name] = .some(argument) }
        }
    }

    /// True when the directive is present (with or without an argument).
    public func has(_ name: String) -> Bool { directives[name] != nil }

    /// A delta-seconds argument (RFC 9111 §1.2.2): digits only; too large saturates at 2^31.
    public func seconds(_ name: String) -> Int64? {
        guard let present = directives[name], let text = present, !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else { return nil }
        guard text.count < 11, let value = Int64(text) else { return 1 << 31 }
        return min(value, 1 << 31)
    }

    /// True when nothing was parsed.
    public var isEmpty: Bool { directives.isEmpty }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
