/// Which content codings an `Accept-Encoding` header allows (RFC 9110 §12.5.3), for choosing a precompressed
/// sibling. Pure.
public struct AcceptEncoding: Sendable, Equatable {
    /// Lower-cased coding → quality (0...1000).
    var qualities: [String: Int]

    public init(header: String?) {
        var qualities: [String: Int] = [:]
        for member in (header ?? "").split(separator: ",").prefix(64) {
            let parts = member.split(separator: ";")
            guard let name = parts.first?.trimmingOWS().lowercased(), !name.isEmpty else { continue }
            var quality = 1000
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingOWS()
                if pair.lowercased().hasPrefix("q=") { quality = Self.quality(pair.dropFirst(2)) ?? 0 }
            }
            qualities[name] = quality
        }
        self.qualities = qualities
    }

    /// `0`, `0.5`, `1.000` → 0...1000; nil when malformed.
    static func quality(_ text: Substring) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int(parts[0]), whole == 0 || whole == 1 else { return nil }
        var thousandths = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard digits.utf8.count <= 3, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            for byte in digits.utf8 { thousandths = thousandths * 10 + Int(byte - 48) }
            for _ in digits.utf8.count..<3 { thousandths *= 10 }
        }
        return min(1000, whole * 1000 + thousandths)
    }

    /// Whether `coding` (`br`, `gzip`) is acceptable: named with q > 0, or covered by `*` with q > 0.
    public func accepts(_ coding: String) -> Bool {
        if let quality = qualities[coding] { return quality > 0 }
        if coding == "gzip", let quality = qualities["x-gzip"] { return quality > 0 }
        if let quality = qualities["*"] { return quality > 0 }
        return false
    }
}
