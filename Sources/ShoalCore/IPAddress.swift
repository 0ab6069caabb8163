/// An IPv4 or IPv6 address held as plain integers, parsed and printed the way inet_pton/inet_ntop do.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    /// The address family of this address.
    public var family: AddressFamily { if case .v4 = self { return .inet } else { return .inet6 } }

    /// Parses a dotted-quad IPv4 or an RFC 4291 IPv6 text address; nil when the text is neither.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPAddress.parseV4(text) {
            self = .v4(v4)
        } else if let (hi, lo) = IPAddress.parseV6(text) {
            self = .v6(hi, lo)
        } else {
            return nil
        }
    }

    static func parseV4(_ text: some StringProtocol) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | current
                parts += 1
                current = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | current
    }

    static func parseV6(_ text: some StringProtocol) -> (UInt64, UInt64)? {
        let s = String(text)
        guard s.contains(":"), s.utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var halves: [String] = []
        var rest = Substring(s)
        while let r = rest.firstRange(of: "::") {
            halves.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        halves.append(String(rest))
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let groups = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, group) in groups.enumerated() {
                if allowV4 && index == groups.count - 1 && group.contains(".") {
                    guard let v4 = parseV4(group) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xffff))
                } else {
                    guard (1...4).contains(group.utf8.count), let v = UInt16(group, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        if halves.count == 2 {
            sawGap = true
            guard let h = parseGroups(halves[0], allowV4: false), let t = parseGroups(halves[1], allowV4: true) else { return nil }
            head = h
            tail = t
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard let h = parseGroups(halves[0], allowV4: true), h.count == 8 else { return nil }
            head = h
        }
        var words = head
        if sawGap { words += Array(repeating: 0, count: 8 - head.count - tail.count) + tail }
        guard words.count == 8 else { return nil }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(words[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(words[i]) }
        return (hi, lo)
    }

    /// The eight 16-bit words of an IPv6 address (IPv4: nil).
    public var words: [UInt16]? {
        guard case let .v6(hi, lo) = self else { return nil }
        return (0..<4).map { UInt16(truncatingIfNeeded: hi >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: lo >> (48 - 16 * UInt64($0))) }
    }

    /// The four 32-bit words in host order (IPv4: one word), as the kernel's hash functions fold them.
    public var foldedWord: UInt32 {
        switch self {
        case let .v4(v): return v
        case let .v6(hi, lo):
            return UInt32(truncatingIfNeeded: hi >> 32) ^ UInt32(truncatingIfNeeded: hi)
                ^ UInt32(truncatingIfNeeded: lo >> 32) ^ UInt32(truncatingIfNeeded: lo)
        }
    }

    /// The address with only its first `prefixLength` bits kept.
    public func masked(prefixLength: Int) -> IPAddress {
        switch self {
        case let .v4(v):
            let bits = max(0, min(32, prefixLength))
            return .v4(bits == 0 ? 0 : v & (UInt32.max << (32 - bits)))
        case let .v6(hi, lo):
            let bits = max(0, min(128, prefixLength))
            let hiMask: UInt64 = bits >= 64 ? .max : (bits == 0 ? 0 : UInt64.max << (64 - bits))
            let loMask: UInt64 = bits <= 64 ? 0 : (bits == 128 ? .max : UInt64.max << (128 - bits))
            return .v6(hi & hiMask, lo & loMask)
        }
    }

    /// The address ANDed with an IPv4 netmask (IPv6 addresses are returned unchanged).
    public func masked(v4Netmask mask: UInt32) -> IPAddress {
        if case let .v4(v) = self { return .v4(v & mask) }
        return self
    }

    /// inet_ntop's text form (glibc's choice of the `::` run and of embedded IPv4).
    public var description: String {
        switch self {
        case let .v4(v):
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        case .v6:
            let w = words!
            var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
            for i in 0..<8 {
                if w[i] == 0 {
                    if curBase == -1 { curBase = i; curLen = 1 } else { curLen += 1 }
                } else if curBase != -1 {
                    if bestBase == -1 || curLen > bestLen { bestBase = curBase; bestLen = curLen }
                    curBase = -1
                }
            }
            if curBase != -1, bestBase == -1 || curLen > bestLen { bestBase = curBase; bestLen = curLen }
            if bestBase != -1 && bestLen < 2 { bestBase = -1 }
            var out = ""
            var i = 0
            while i < 8 {
                if bestBase != -1 && i >= bestBase && i < bestBase + bestLen {
                    if i == bestBase { out += ":" }
                    i += 1
                    continue
                }
                if i != 0 { out += ":" }
                if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
                    out += "\(w[6] >> 8).\(w[6] & 0xff).\(w[7] >> 8).\(w[7] & 0xff)"
                    break
                }
                out += String(w[i], radix: 16)
                i += 1
            }
            if bestBase != -1 && bestBase + bestLen == 8 { out += ":" }
            return out
        }
    }
}

/// Address family, ordered as the kernel numbers them (AF_INET 2 < AF_INET6 10).
public enum AddressFamily: Int, Hashable, Sendable, Comparable {
    case inet = 2
    case inet6 = 10
    public static func < (a: AddressFamily, b: AddressFamily) -> Bool { a.rawValue < b.rawValue }
}
