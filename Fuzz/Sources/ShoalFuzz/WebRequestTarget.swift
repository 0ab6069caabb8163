import WebServer

/// The web node's parsers of request input: the request target (`RequestPath`), `Range` (`ByteRangeRequest`),
/// the conditional headers (`Preconditions`, `EntityTagCondition`, `HTTPDate`) and `Accept-Encoding`.
///
/// Input: up to three fields split at NUL: target, Range value, a conditional/Accept-Encoding value.
enum WebRequestTarget {
    static func run(_ data: [UInt8]) {
        let fields = String(decoding: data, as: UTF8.self).split(separator: "\0", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let target = fields[0], range = fields.count > 1 ? fields[1] : "", other = fields.count > 2 ? fields[2] : ""
        for dotfiles in [RequestPath.DotfilePolicy.deny, .allow] {
            if let path = try? RequestPath(target: target, dotfiles: dotfiles) {
                // A path that got through never climbs out of the root or hides a NUL or a backslash.
                invariant(!path.segments.contains(".."), "'\(target)' resolved to a '..' segment")
                invariant(!path.segments.contains { $0.isEmpty || $0 == "." }, "'\(target)' kept an empty or '.' segment")
                invariant(!path.relative.utf8.contains(0) && !path.relative.utf8.contains(UInt8(ascii: "\\")),
                          "'\(target)' kept a NUL or a backslash")
                invariant(path.segments.count <= RequestPath.maximumDepth, "'\(target)' is deeper than the cap")
                if dotfiles == .deny {
                    invariant(!path.segments.contains { $0.hasPrefix(".") && $0 != ".well-known" }, "'\(target)' names a hidden file")
                }
                // Encoding the path again and parsing it gives the same segments.
                let again = try? RequestPath(target: path.encoded, dotfiles: dotfiles)
                invariant(again?.segments == path.segments, "'\(target)' does not round-trip through '\(path.encoded)'")
            }
        }
        if let request = ByteRangeRequest(header: range) {
            invariant(request.specs.count <= ByteRangeRequest.maximumSpecs, "more specs than the cap")
            for length in [Int64(0), 1, 13, 1 << 20, Int64.max] {
                switch request.resolve(length: length, maximumRanges: 4) {
                case .whole, .unsatisfiable: break
                case let .partial(ranges):
                    invariant(!ranges.isEmpty && ranges.count <= 4, "bad range count \(ranges.count)")
                    for (index, r) in ranges.enumerated() {
                        invariant(r.lowerBound >= 0 && r.upperBound < length, "\(r) is outside a length of \(length)")
                        if index > 0 { invariant(ranges[index - 1].upperBound + 1 < r.lowerBound, "ranges overlap or touch: \(ranges)") }
                    }
                }
            }
        }
        let preconditions = Preconditions { name in
            switch name {
            case "Range": range
            default: other
            }
        }
        _ = preconditions.evaluate(tag: EntityTag(opaque: "a"), lastModified: 1_000_000, isGetOrHead: true)
        if let seconds = HTTPDate.parse(other) { invariant(HTTPDate.parse(HTTPDate.format(seconds)) == seconds, "'\(other)' does not round-trip") }
        _ = AcceptEncoding(header: other).accepts("gzip")
    }
}
