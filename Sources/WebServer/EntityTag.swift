/// An entity tag (RFC 9110 §8.8.3): opaque text, strong or weak.
public struct EntityTag: Sendable, Equatable, CustomStringConvertible {
    public var opaque: String
    public var isWeak: Bool

    public init(opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// The strong tag of a file, from its size and modification time only (no inode, no device), so that every
    /// node reading the same file on shared storage computes the same tag: `"<size hex>-<mtime seconds hex>-<mtime ns hex>"`.
    /// A rewrite that keeps the size and lands in the same nanosecond would keep the tag; nothing else does.
    public static func file(size: Int64, modifiedSeconds: Int64, modifiedNanoseconds: Int64) -> EntityTag {
        EntityTag(opaque: String(size, radix: 16) + "-" + String(modifiedSeconds, radix: 16) + "-" + String(modifiedNanoseconds, radix: 16))
    }

    /// The header form: `"opaque"` or `W/"opaque"`.
    public var description: String { (isWeak ? "W/\"" : "\"") + opaque + "\"" }

    /// Strong comparison: both strong and the same opaque text.
    public func strongMatches(_ other: EntityTag) -> Bool { !isWeak && !other.isWeak && opaque == other.opaque }

    /// Weak comparison: the same opaque text.
    public func weakMatches(_ other: EntityTag) -> Bool { opaque == other.opaque }
}

/// The value of `If-Match` or `If-None-Match`: `*` or a list of entity tags.
public enum EntityTagCondition: Sendable, Equatable {
    case any
    case tags([EntityTag])

    /// Parses a field value (several field lines are joined with `,` first). Malformed members end the list
    /// there: what was read so far counts (a malformed condition must not match by accident).
    public init(header: String) {
        let trimmed = Substring(header).trimmingOWS()
        if trimmed == "*" {
            self = .any
            return
        }
        var tags: [EntityTag] = []
        var rest = trimmed[...]
        while !rest.isEmpty, tags.count < 256 {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            if rest.isEmpty { break }
            var weak = false
            if rest.hasPrefix("W/") {
                weak = true
                rest = rest.dropFirst(2)
            }
            guard rest.first == "\"" else { break }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "\"") else { break }
            tags.append(EntityTag(opaque: String(rest[..<close]), isWeak: weak))
            rest = rest[rest.index(after: close)...]
        }
        self = .tags(tags)
    }

    /// Whether `tag` matches: strongly (If-Match) or weakly (If-None-Match).
    public func matches(_ tag: EntityTag, strong: Bool) -> Bool {
        switch self {
        case .any: true
        case let .tags(tags): tags.contains { strong ? $0.strongMatches(tag) : $0.weakMatches(tag) }
        }
    }
}
